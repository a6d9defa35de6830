import AccessTokens
import Foundation
import GRDB
import Primitives
import SQLiteSupport
import Wire

/// AuthSvc's store in one SQLite file in the service's state folder (WAL mode, durable, migrated on
/// open). Every method is one write or read transaction; SQLite serializes writers, so revocation
/// sequence numbers commit in order.
struct SQLiteUserStore: UserStore {
    let database: DatabasePool

    init(path: String) throws {
        database = try DatabasePool.migrated(path: path, Self.migrator)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "user") { table in
                table.primaryKey("sub", .text)
                table.column("username", .text).notNull()
                table.column("usernameKey", .text).notNull().unique()
                table.column("email", .text).notNull()
                table.column("emailKey", .text).notNull().unique()
                table.column("emailVerified", .boolean).notNull()
                table.column("confirmed", .boolean).notNull()
                table.column("passwordHash", .text).notNull()
                table.column("storageFolder", .text).notNull().unique()
                table.column("createdAt", .integer).notNull()
                table.column("updatedAt", .integer).notNull()
            }
            try db.create(table: "code") { table in
                table.column("sub", .text).notNull().references("user", onDelete: .cascade)
                table.column("purpose", .text).notNull()
                table.column("codeHash", .blob).notNull()
                table.column("expiresAt", .integer).notNull()
                table.column("failedAttempts", .integer).notNull()
                table.primaryKey(["sub", "purpose"])
            }
            try db.create(table: "signIn") { table in
                table.primaryKey("originJti", .text)
                table.column("sub", .text).notNull().indexed().references("user", onDelete: .cascade)
                table.column("authTime", .integer).notNull()
                table.column("expiresAt", .integer).notNull()
                table.column("revokedAt", .integer)
            }
            try db.create(table: "refreshToken") { table in
                table.primaryKey("tokenHash", .blob)
                table.column("originJti", .text).notNull().indexed().references("signIn", onDelete: .cascade)
                table.column("issuedAt", .integer).notNull()
                table.column("rotatedAt", .integer)
            }
            try db.create(table: "signingKey") { table in
                table.primaryKey("kid", .text)
                table.column("secret", .blob).notNull()
                table.column("createdAt", .integer).notNull()
                table.column("retiredAt", .integer)
            }
            try db.create(table: "revocation") { table in
                table.autoIncrementedPrimaryKey("sequence")
                table.column("originJti", .text).notNull()
                table.column("expiresAt", .integer).notNull().indexed()
            }
        }
        return migrator
    }

    // MARK: Users

    func user(key: String) async throws -> UserRow? {
        try await database.read { db in
            try UserRow.filter(Column("usernameKey") == key || Column("emailKey") == key).fetchOne(db)
        }
    }

    func user(sub: String) async throws -> UserRow? {
        try await database.read { db in try UserRow.fetchOne(db, key: sub) }
    }

    func insert(_ user: UserRow) async throws -> SignUpClash? {
        try await database.write { db in
            // A name is taken by anyone's username or email, so that login by either stays unambiguous.
            let keys = [user.usernameKey, user.emailKey]
            for (key, clash) in zip(keys, [SignUpClash.username, .email]) {
                if try UserRow.filter(Column("usernameKey") == key || Column("emailKey") == key).fetchCount(db) > 0 {
                    return clash
                }
            }
            try user.insert(db)
            return nil
        }
    }

    func update(_ user: UserRow) async throws {
        try await database.write { db in try user.update(db) }
    }

    func update(_ user: UserRow, revokingSignInsBut keeping: String?, _ revocation: Revocation) async throws {
        try await database.write { db in
            try user.update(db)
            try Self.revoke(db, sub: user.sub, but: keeping, revocation)
        }
    }

    func delete(sub: String, _ revocation: Revocation) async throws {
        try await database.write { db in
            try Self.revoke(db, sub: sub, but: nil, revocation)
            _ = try UserRow.deleteOne(db, key: sub)
        }
    }

    // MARK: Codes

    func save(_ code: CodeRow) async throws {
        try await database.write { db in try code.save(db) }
    }

    func consumeCode(sub: String, purpose: CodeRow.Purpose, hash: Data, maxAttempts: Int, now: Int64)
        async throws -> CodeCheck
    {
        try await database.write { db in
            guard var record = try CodeRow.fetchOne(db, key: ["sub": sub, "purpose": purpose.rawValue]) else {
                return .mismatch
            }
            let check = CodeCheck(record, hash: hash, maxAttempts: maxAttempts, now: now)
            switch check {
            case .accepted: try record.delete(db)
            case .mismatch:
                record.failedAttempts += 1
                try record.update(db)
            case .tooManyAttempts, .expired: break
            }
            return check
        }
    }

    // MARK: Sign-ins

    func startSignIn(_ signIn: SignInRow, token: RefreshTokenRow) async throws {
        try await database.write { db in
            try signIn.insert(db)
            try token.insert(db)
        }
    }

    func rotate(refreshToken presented: Data, successor: RefreshTokenRow, now: Int64, _ revocation: Revocation)
        async throws -> RefreshOutcome
    {
        try await database.write { db in
            guard var token = try RefreshTokenRow.fetchOne(db, key: presented),
                let signIn = try SignInRow.fetchOne(db, key: token.originJti)
            else { return .refused("Invalid refresh token") }
            if let refusal = RefreshOutcome.refusal(of: signIn, now: now) { return refusal }
            if token.rotatedAt != nil {
                try Self.revoke(db, originJtis: [signIn.originJti], revocation)
                return .reused
            }
            token.rotatedAt = now
            try token.update(db)
            var next = successor
            next.originJti = signIn.originJti
            try next.insert(db)
            return .rotated(signIn)
        }
    }

    func revokeSignIn(refreshToken presented: Data, _ revocation: Revocation) async throws -> Bool {
        try await database.write { db in
            guard let token = try RefreshTokenRow.fetchOne(db, key: presented) else { return false }
            try Self.revoke(db, originJtis: [token.originJti], revocation)
            return true
        }
    }

    func revokeSignIns(sub: String, keeping: String?, _ revocation: Revocation) async throws {
        try await database.write { db in try Self.revoke(db, sub: sub, but: keeping, revocation) }
    }

    private static func revoke(_ db: Database, sub: String, but keeping: String?, _ revocation: Revocation) throws {
        let live = try String.fetchAll(
            db, sql: "SELECT originJti FROM signIn WHERE sub = ? AND revokedAt IS NULL", arguments: [sub])
        try revoke(db, originJtis: live.filter { $0 != keeping }, revocation)
    }

    /// Marks the sign-ins revoked and lists each one that was not revoked before.
    private static func revoke(_ db: Database, originJtis: [String], _ revocation: Revocation) throws {
        for originJti in originJtis {
            try db.execute(
                sql: "UPDATE signIn SET revokedAt = ? WHERE originJti = ? AND revokedAt IS NULL",
                arguments: [revocation.at, originJti])
            guard db.changesCount > 0 else { continue }
            var row = RevocationRow(sequence: nil, originJti: originJti, expiresAt: revocation.listedUntil)
            try row.insert(db)
        }
    }

    // MARK: Keys

    func activeKey(orStore fresh: @Sendable () -> SigningKey, now: Int64) async throws -> SigningKey {
        if let active = try await database.read({ db in try Self.active(db) }) { return active.key }
        return try await database.write { db in
            if let active = try Self.active(db) { return active.key }
            let key = fresh()
            try SigningKeyRow(kid: key.kid, secret: Data(key.secret), createdAt: now, retiredAt: nil).insert(db)
            return key
        }
    }

    private static func active(_ db: Database) throws -> SigningKeyRow? {
        try SigningKeyRow.filter(Column("retiredAt") == nil).order(Column("createdAt").desc, Column("kid"))
            .fetchOne(db)
    }

    func rotate(to key: SigningKey, now: Int64) async throws {
        try await database.write { db in
            try SigningKeyRow.filter(Column("retiredAt") == nil).updateAll(db, Column("retiredAt").set(to: now))
            try SigningKeyRow(kid: key.kid, secret: Data(key.secret), createdAt: now, retiredAt: nil).insert(db)
        }
    }

    func revokeKey(_ kid: String, replacement: SigningKey, now: Int64) async throws -> KeyRemoval {
        try await database.write { db in
            guard let row = try SigningKeyRow.fetchOne(db, key: kid) else { return .notFound }
            try row.delete(db)
            guard row.retiredAt == nil else { return .retired }
            try SigningKeyRow(kid: replacement.kid, secret: Data(replacement.secret), createdAt: now, retiredAt: nil)
                .insert(db)
            return .replacedActive
        }
    }

    func verificationKeys(retiredAfter: Int64) async throws -> [SigningKeyRow] {
        try await database.read { db in
            try SigningKeyRow.filter(Column("retiredAt") == nil || Column("retiredAt") > retiredAfter)
                .order(sql: "retiredAt IS NOT NULL, createdAt DESC, retiredAt DESC").fetchAll(db)
        }
    }

    func revocations(after sequence: Int64, now: Int64) async throws -> (originJtis: [String], latest: Int64) {
        try await database.write { db in
            try RevocationRow.filter(Column("expiresAt") <= now).deleteAll(db)
            let records = try RevocationRow.filter(Column("sequence") > sequence).order(Column("sequence"))
                .fetchAll(db)
            let latest = try Int64.fetchOne(db, sql: "SELECT MAX(sequence) FROM revocation") ?? sequence
            return (records.map(\.originJti), max(latest, sequence))
        }
    }

    func prune(now: Int64, usedBefore: Int64) async throws -> [String: Int] {
        try await database.write { db in
            try db.execute(sql: "DELETE FROM refreshToken WHERE rotatedAt < ?", arguments: [usedBefore])
            let tokens = db.changesCount
            try db.execute(sql: "DELETE FROM signIn WHERE expiresAt <= ?", arguments: [now])
            let signIns = db.changesCount
            try db.execute(sql: "DELETE FROM code WHERE expiresAt <= ?", arguments: [now])
            return ["signIns": signIns, "usedRefreshTokens": tokens, "codes": db.changesCount]
        }
    }
}

extension CodeCheck {
    /// The verdict on a presented code's hash; both stores decide alike.
    init(_ record: CodeRow, hash: Data, maxAttempts: Int, now: Int64) {
        if record.failedAttempts >= maxAttempts {
            self = .tooManyAttempts
        } else if record.expiresAt <= now {
            self = .expired
        } else if Crypto.constantTimeEqual(Array(record.codeHash), Array(hash)) {
            self = .accepted
        } else {
            self = .mismatch
        }
    }
}

extension RefreshOutcome {
    /// Why a sign-in no longer refreshes, if it does not.
    static func refusal(of signIn: SignInRow, now: Int64) -> RefreshOutcome? {
        if signIn.revokedAt != nil { return .refused("Refresh token has been revoked") }
        if signIn.expiresAt <= now { return .refused("Refresh token has expired") }
        return nil
    }
}
