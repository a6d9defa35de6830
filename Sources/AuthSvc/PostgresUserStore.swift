import AccessTokens
import Foundation
import Logging
import PostgresNIO
import PostgresSupport
import Wire

/// AuthSvc's store in PostgreSQL (schema `auth`), shared by every AuthSvc replica. What SQLite gets from
/// its single writer is made explicit here: sign-ups take an advisory lock on each name they claim (so
/// two replicas cannot give one name to two users, across the username and email columns), rows a flow
/// decides on are read `FOR UPDATE`, and every transaction that lists revocations holds one advisory
/// lock until it commits, so their sequence numbers become visible in order and a gateway asking
/// "after N" never skips one that commits late.
struct PostgresUserStore: UserStore {
    let database: PostgresSchema

    static let schema = "auth"

    static let migrations: [PostgresMigration] = [
        PostgresMigration(
            "v1",
            [
                """
                CREATE TABLE account (
                    sub TEXT PRIMARY KEY,
                    username TEXT NOT NULL,
                    usernameKey TEXT NOT NULL UNIQUE,
                    email TEXT NOT NULL,
                    emailKey TEXT NOT NULL UNIQUE,
                    emailVerified BOOLEAN NOT NULL,
                    confirmed BOOLEAN NOT NULL,
                    passwordHash TEXT NOT NULL,
                    storageFolder TEXT NOT NULL UNIQUE,
                    createdAt BIGINT NOT NULL,
                    updatedAt BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE code (
                    sub TEXT NOT NULL REFERENCES account (sub) ON DELETE CASCADE,
                    purpose TEXT NOT NULL,
                    codeHash BYTEA NOT NULL,
                    expiresAt BIGINT NOT NULL,
                    failedAttempts BIGINT NOT NULL,
                    PRIMARY KEY (sub, purpose)
                )
                """,
                """
                CREATE TABLE signIn (
                    originJti TEXT PRIMARY KEY,
                    sub TEXT NOT NULL REFERENCES account (sub) ON DELETE CASCADE,
                    authTime BIGINT NOT NULL,
                    expiresAt BIGINT NOT NULL,
                    revokedAt BIGINT
                )
                """,
                "CREATE INDEX signIn_sub ON signIn (sub)",
                """
                CREATE TABLE refreshToken (
                    tokenHash BYTEA PRIMARY KEY,
                    originJti TEXT NOT NULL REFERENCES signIn (originJti) ON DELETE CASCADE,
                    issuedAt BIGINT NOT NULL,
                    rotatedAt BIGINT
                )
                """,
                "CREATE INDEX refreshToken_originJti ON refreshToken (originJti)",
                """
                CREATE TABLE signingKey (
                    kid TEXT PRIMARY KEY,
                    secret BYTEA NOT NULL,
                    createdAt BIGINT NOT NULL,
                    retiredAt BIGINT
                )
                """,
                """
                CREATE TABLE revocation (
                    sequence BIGSERIAL PRIMARY KEY,
                    originJti TEXT NOT NULL,
                    expiresAt BIGINT NOT NULL
                )
                """,
                "CREATE INDEX revocation_expiresAt ON revocation (expiresAt)",
            ])
    ]

    static func open(_ url: DatabaseURL, schema: String = schema, logger: Logger) async throws -> PostgresUserStore {
        PostgresUserStore(
            database: try await PostgresSchema.open(url, schema: schema, migrations: migrations, logger: logger))
    }

    private var logger: Logger { database.logger }

    // MARK: Users

    private static let userColumns = """
        sub, username, usernameKey, email, emailKey, emailVerified, confirmed, passwordHash, storageFolder,
        createdAt, updatedAt
        """

    private static func user(_ row: PostgresRow) throws -> UserRow {
        let (sub, username, usernameKey, email, emailKey, verified, confirmed, hash, folder, created, updated) =
            try row.decode((String, String, String, String, String, Bool, Bool, String, String, Int64, Int64).self)
        return UserRow(
            sub: sub, username: username, usernameKey: usernameKey, email: email, emailKey: emailKey,
            emailVerified: verified, confirmed: confirmed, passwordHash: hash, storageFolder: folder,
            createdAt: created, updatedAt: updated)
    }

    func user(key: String) async throws -> UserRow? {
        try await database.query(
            "SELECT \(unescaped: Self.userColumns) FROM account WHERE usernameKey = \(key) OR emailKey = \(key)"
        ).first.map(Self.user)
    }

    func user(sub: String) async throws -> UserRow? {
        try await database.query("SELECT \(unescaped: Self.userColumns) FROM account WHERE sub = \(sub)").first.map(
            Self.user)
    }

    func insert(_ user: UserRow) async throws -> SignUpClash? {
        let logger = self.logger
        return try await database.transaction { connection in
            // One lock per name, taken in a fixed order: a sign-up that would clash with this one on any
            // name waits here, then sees this one's row.
            for key in Set([user.usernameKey, user.emailKey]).sorted() {
                try await connection.query(
                    "SELECT pg_advisory_xact_lock(hashtext(\("auth.name." + key)))", logger: logger)
            }
            for (key, clash) in zip([user.usernameKey, user.emailKey], [SignUpClash.username, .email]) {
                let taken = try await connection.query(
                    "SELECT 1 FROM account WHERE usernameKey = \(key) OR emailKey = \(key) LIMIT 1", logger: logger
                ).collect()
                if !taken.isEmpty { return clash }
            }
            try await connection.query(
                """
                INSERT INTO account (\(unescaped: Self.userColumns))
                VALUES (\(user.sub), \(user.username), \(user.usernameKey), \(user.email), \(user.emailKey),
                    \(user.emailVerified), \(user.confirmed), \(user.passwordHash), \(user.storageFolder),
                    \(user.createdAt), \(user.updatedAt))
                """, logger: logger)
            return nil
        }
    }

    private static func updating(_ user: UserRow) -> PostgresQuery {
        """
        UPDATE account SET username = \(user.username), usernameKey = \(user.usernameKey), email = \(user.email),
            emailKey = \(user.emailKey), emailVerified = \(user.emailVerified), confirmed = \(user.confirmed),
            passwordHash = \(user.passwordHash), storageFolder = \(user.storageFolder),
            createdAt = \(user.createdAt), updatedAt = \(user.updatedAt)
        WHERE sub = \(user.sub)
        """
    }

    func update(_ user: UserRow) async throws {
        try await database.query(Self.updating(user))
    }

    func update(_ user: UserRow, revokingSignInsBut keeping: String?, _ revocation: Revocation) async throws {
        let logger = self.logger
        try await database.transaction { connection in
            try await connection.query(Self.updating(user), logger: logger)
            try await Self.revoke(connection, sub: user.sub, but: keeping, revocation, logger: logger)
        }
    }

    func delete(sub: String, _ revocation: Revocation) async throws {
        let logger = self.logger
        try await database.transaction { connection in
            try await Self.revoke(connection, sub: sub, but: nil, revocation, logger: logger)
            try await connection.query("DELETE FROM account WHERE sub = \(sub)", logger: logger)
        }
    }

    // MARK: Codes

    func save(_ code: CodeRow) async throws {
        try await database.query(
            """
            INSERT INTO code (sub, purpose, codeHash, expiresAt, failedAttempts)
            VALUES (\(code.sub), \(code.purpose.rawValue), \(code.codeHash), \(code.expiresAt),
                \(Int64(code.failedAttempts)))
            ON CONFLICT (sub, purpose) DO UPDATE SET codeHash = excluded.codeHash, expiresAt = excluded.expiresAt,
                failedAttempts = excluded.failedAttempts
            """)
    }

    func consumeCode(sub: String, purpose: CodeRow.Purpose, hash: Data, maxAttempts: Int, now: Int64)
        async throws -> CodeCheck
    {
        let logger = self.logger
        return try await database.transaction { connection in
            // Locked, so that guesses at once on two replicas each count.
            guard
                let row = try await connection.query(
                    """
                    SELECT codeHash, expiresAt, failedAttempts FROM code
                    WHERE sub = \(sub) AND purpose = \(purpose.rawValue) FOR UPDATE
                    """, logger: logger
                ).collect().first
            else { return .mismatch }
            let (codeHash, expiresAt, failed) = try row.decode((Data, Int64, Int64).self)
            let record = CodeRow(
                sub: sub, purpose: purpose, codeHash: codeHash, expiresAt: expiresAt,
                failedAttempts: Int(clamping: failed))
            let check = CodeCheck(record, hash: hash, maxAttempts: maxAttempts, now: now)
            switch check {
            case .accepted:
                try await connection.query(
                    "DELETE FROM code WHERE sub = \(sub) AND purpose = \(purpose.rawValue)", logger: logger)
            case .mismatch:
                try await connection.query(
                    "UPDATE code SET failedAttempts = failedAttempts + 1 WHERE sub = \(sub) AND purpose = \(purpose.rawValue)",
                    logger: logger)
            case .tooManyAttempts, .expired: break
            }
            return check
        }
    }

    // MARK: Sign-ins

    func startSignIn(_ signIn: SignInRow, token: RefreshTokenRow) async throws {
        let logger = self.logger
        try await database.transaction { connection in
            try await connection.query(
                """
                INSERT INTO signIn (originJti, sub, authTime, expiresAt, revokedAt)
                VALUES (\(signIn.originJti), \(signIn.sub), \(signIn.authTime), \(signIn.expiresAt), \(signIn.revokedAt))
                """, logger: logger)
            try await Self.insert(token, connection, logger: logger)
        }
    }

    private static func insert(_ token: RefreshTokenRow, _ connection: PostgresConnection, logger: Logger)
        async throws
    {
        try await connection.query(
            """
            INSERT INTO refreshToken (tokenHash, originJti, issuedAt, rotatedAt)
            VALUES (\(token.tokenHash), \(token.originJti), \(token.issuedAt), \(token.rotatedAt))
            """, logger: logger)
    }

    func rotate(refreshToken presented: Data, successor: RefreshTokenRow, now: Int64, _ revocation: Revocation)
        async throws -> RefreshOutcome
    {
        let logger = self.logger
        return try await database.transaction { connection in
            // The token is locked: the same token presented on two replicas at once is rotated by one and
            // seen as reused by the other, which then waited for the first to commit.
            guard
                let row = try await connection.query(
                    """
                    SELECT t.rotatedAt, s.originJti, s.sub, s.authTime, s.expiresAt, s.revokedAt
                    FROM refreshToken t JOIN signIn s ON s.originJti = t.originJti
                    WHERE t.tokenHash = \(presented) FOR UPDATE OF t
                    """, logger: logger
                ).collect().first
            else { return .refused("Invalid refresh token") }
            let (rotatedAt, originJti, sub, authTime, expiresAt, revokedAt) = try row.decode(
                (Int64?, String, String, Int64, Int64, Int64?).self)
            let signIn = SignInRow(
                originJti: originJti, sub: sub, authTime: authTime, expiresAt: expiresAt, revokedAt: revokedAt)
            if let refusal = RefreshOutcome.refusal(of: signIn, now: now) { return refusal }
            if rotatedAt != nil {
                try await Self.revoke(connection, originJtis: [originJti], revocation, logger: logger)
                return .reused
            }
            try await connection.query(
                "UPDATE refreshToken SET rotatedAt = \(now) WHERE tokenHash = \(presented)", logger: logger)
            var next = successor
            next.originJti = originJti
            try await Self.insert(next, connection, logger: logger)
            return .rotated(signIn)
        }
    }

    func revokeSignIn(refreshToken presented: Data, _ revocation: Revocation) async throws -> Bool {
        let logger = self.logger
        return try await database.transaction { connection in
            guard
                let row = try await connection.query(
                    "SELECT originJti FROM refreshToken WHERE tokenHash = \(presented)", logger: logger
                ).collect().first
            else { return false }
            try await Self.revoke(connection, originJtis: [try row.decode(String.self)], revocation, logger: logger)
            return true
        }
    }

    func revokeSignIns(sub: String, keeping: String?, _ revocation: Revocation) async throws {
        let logger = self.logger
        try await database.transaction { connection in
            try await Self.revoke(connection, sub: sub, but: keeping, revocation, logger: logger)
        }
    }

    private static func revoke(
        _ connection: PostgresConnection, sub: String, but keeping: String?, _ revocation: Revocation,
        logger: Logger
    ) async throws {
        var live: [String] = []
        for try await originJti in try await connection.query(
            "SELECT originJti FROM signIn WHERE sub = \(sub) AND revokedAt IS NULL", logger: logger
        ).decode(String.self) where originJti != keeping {
            live.append(originJti)
        }
        try await revoke(connection, originJtis: live, revocation, logger: logger)
    }

    /// Marks the sign-ins revoked and lists each one that was not revoked before, under the lock that
    /// orders revocations (held until the transaction commits).
    private static func revoke(
        _ connection: PostgresConnection, originJtis: [String], _ revocation: Revocation, logger: Logger
    ) async throws {
        guard !originJtis.isEmpty else { return }
        try await connection.query("SELECT pg_advisory_xact_lock(hashtext('auth.revocation'))", logger: logger)
        try await connection.query(
            """
            WITH revoked AS (
                UPDATE signIn SET revokedAt = \(revocation.at)
                WHERE originJti = ANY(\(originJtis)) AND revokedAt IS NULL
                RETURNING originJti)
            INSERT INTO revocation (originJti, expiresAt)
            SELECT originJti, \(revocation.listedUntil) FROM revoked ORDER BY originJti
            """, logger: logger)
    }

    // MARK: Keys

    private static func key(_ row: PostgresRow) throws -> SigningKeyRow {
        let (kid, secret, createdAt, retiredAt) = try row.decode((String, Data, Int64, Int64?).self)
        return SigningKeyRow(kid: kid, secret: secret, createdAt: createdAt, retiredAt: retiredAt)
    }

    private static let activeKeyQuery: PostgresQuery = """
        SELECT kid, secret, createdAt, retiredAt FROM signingKey WHERE retiredAt IS NULL
        ORDER BY createdAt DESC, kid LIMIT 1
        """

    func activeKey(orStore fresh: @Sendable () -> SigningKey, now: Int64) async throws -> SigningKey {
        if let row = try await database.query(Self.activeKeyQuery).first { return try Self.key(row).key }
        let logger = self.logger
        return try await database.transaction { connection in
            // Replicas starting on a new pool at once: the first stores its key, the others take it.
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext('auth.keys'))", logger: logger)
            if let row = try await connection.query(Self.activeKeyQuery, logger: logger).collect().first {
                return try Self.key(row).key
            }
            let key = fresh()
            try await connection.query(
                """
                INSERT INTO signingKey (kid, secret, createdAt, retiredAt)
                VALUES (\(key.kid), \(Data(key.secret)), \(now), NULL)
                """, logger: logger)
            return key
        }
    }

    func rotate(to key: SigningKey, now: Int64) async throws {
        let logger = self.logger
        try await database.transaction { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext('auth.keys'))", logger: logger)
            try await connection.query(
                "UPDATE signingKey SET retiredAt = \(now) WHERE retiredAt IS NULL", logger: logger)
            try await connection.query(
                """
                INSERT INTO signingKey (kid, secret, createdAt, retiredAt)
                VALUES (\(key.kid), \(Data(key.secret)), \(now), NULL)
                """, logger: logger)
        }
    }

    func revokeKey(_ kid: String, replacement: SigningKey, now: Int64) async throws -> KeyRemoval {
        let logger = self.logger
        return try await database.transaction { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext('auth.keys'))", logger: logger)
            guard
                let row = try await connection.query(
                    "DELETE FROM signingKey WHERE kid = \(kid) RETURNING retiredAt", logger: logger
                ).collect().first
            else { return .notFound }
            guard try row.decode(Int64?.self) == nil else { return .retired }
            try await connection.query(
                """
                INSERT INTO signingKey (kid, secret, createdAt, retiredAt)
                VALUES (\(replacement.kid), \(Data(replacement.secret)), \(now), NULL)
                """, logger: logger)
            return .replacedActive
        }
    }

    func verificationKeys(retiredAfter: Int64) async throws -> [SigningKeyRow] {
        try await database.query(
            """
            SELECT kid, secret, createdAt, retiredAt FROM signingKey
            WHERE retiredAt IS NULL OR retiredAt > \(retiredAfter)
            ORDER BY retiredAt IS NOT NULL, createdAt DESC, retiredAt DESC
            """
        ).map(Self.key)
    }

    func revocations(after sequence: Int64, now: Int64) async throws -> (originJtis: [String], latest: Int64) {
        try await database.query("DELETE FROM revocation WHERE expiresAt <= \(now)")
        // One statement, so one snapshot: a prefix of the sequence (revocations commit in sequence order),
        // and the latest number is the last one read, never one committed after the read.
        var originJtis: [String] = []
        var latest = sequence
        for row in try await database.query(
            "SELECT sequence, originJti FROM revocation WHERE sequence > \(sequence) ORDER BY sequence")
        {
            let (number, originJti) = try row.decode((Int64, String).self)
            originJtis.append(originJti)
            latest = max(latest, number)
        }
        return (originJtis, latest)
    }

    func prune(now: Int64, usedBefore: Int64) async throws -> [String: Int] {
        let logger = self.logger
        return try await database.transaction { connection in
            func count(_ query: PostgresQuery) async throws -> Int {
                var count = 0
                for try await _ in try await connection.query(query, logger: logger) { count += 1 }
                return count
            }
            let tokens = try await count(
                "DELETE FROM refreshToken WHERE rotatedAt < \(usedBefore) RETURNING tokenHash")
            let signIns = try await count("DELETE FROM signIn WHERE expiresAt <= \(now) RETURNING originJti")
            let codes = try await count("DELETE FROM code WHERE expiresAt <= \(now) RETURNING sub")
            return ["signIns": signIns, "usedRefreshTokens": tokens, "codes": codes]
        }
    }
}
