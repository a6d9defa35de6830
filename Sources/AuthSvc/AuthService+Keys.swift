import AccessTokens
import Contracts
import Foundation
import GRDB
import Wire

extension AuthService {
    /// The newest unretired key; on first start, a new one.
    static func activeKey(in store: UserStore, now: Int64) throws -> SigningKey {
        try store.database.write { db in
            if let record = try SigningKeyRow.filter(Column("retiredAt") == nil).order(Column("createdAt").desc)
                .fetchOne(db)
            {
                return SigningKey(kid: record.kid, secret: Array(record.secret))
            }
            let key = SigningKey.generate()
            try SigningKeyRow(kid: key.kid, secret: Data(key.secret), createdAt: now, retiredAt: nil).insert(db)
            return key
        }
    }

    /// A new signing key; the old ones keep verifying until the tokens they signed have expired.
    func rotateKey() async throws -> KeyRotation {
        let time = nowSeconds()
        let key = SigningKey.generate()
        try await store.database.write { db in
            try SigningKeyRow.filter(Column("retiredAt") == nil).updateAll(db, Column("retiredAt").set(to: time))
            try SigningKeyRow(kid: key.kid, secret: Data(key.secret), createdAt: time, retiredAt: nil).insert(db)
        }
        currentKey.withLock { $0 = key }
        logger.notice("signing key rotated", metadata: ["kid": "\(key.kid)"])
        return KeyRotation(kid: key.kid)
    }

    /// Removes a key at once (it leaked): tokens it signed stop verifying once each gateway's key cache
    /// refreshes. When it was the active key, a new one takes over.
    func revokeKey(_ request: RevokeKeyRequest) async throws -> KeyRevocation {
        let time = nowSeconds()
        let replacement = SigningKey.generate()
        let active = try await store.database.write { db -> SigningKey? in
            guard let row = try SigningKeyRow.fetchOne(db, key: request.kid) else {
                throw WireError(.notFound, "No signing key \(request.kid)")
            }
            try row.delete(db)
            guard row.retiredAt == nil else { return nil }
            try SigningKeyRow(kid: replacement.kid, secret: Data(replacement.secret), createdAt: time, retiredAt: nil)
                .insert(db)
            return replacement
        }
        if let active { currentKey.withLock { $0 = active } }
        let activeKid = currentKey.withLock { $0.kid }
        logger.notice("signing key revoked", metadata: ["kid": "\(request.kid)", "active": "\(activeKid)"])
        return KeyRevocation(kid: request.kid, activeKid: activeKid)
    }

    /// Keys that may have signed a token that is still valid, newest first.
    func verificationKeys() async throws -> VerificationKeys {
        let oldest = nowSeconds() - Int64(settings.tokenLifetime)
        let records = try await store.database.read { db in
            // The active key first, then retired ones, newest first.
            try SigningKeyRow.filter(Column("retiredAt") == nil || Column("retiredAt") > oldest)
                .order(sql: "retiredAt IS NOT NULL, createdAt DESC, retiredAt DESC").fetchAll(db)
        }
        return VerificationKeys(
            issuer: settings.issuer, keys: records.map { .init(kid: $0.kid, secret: Array($0.secret)) },
            audience: settings.clientId, tokenLifetime: settings.tokenLifetime)
    }

    /// Revoked sign-ins whose access tokens may still be unexpired, after a sequence number.
    func revocations(_ request: RevocationsRequest) async throws -> Revocations {
        let time = nowSeconds()
        return try await store.database.write { db in
            // Entries past every token's lifetime are of no use to anyone.
            try RevocationRow.filter(Column("expiresAt") <= time).deleteAll(db)
            let records = try RevocationRow.filter(Column("sequence") > request.after).order(Column("sequence"))
                .fetchAll(db)
            let latest = try Int64.fetchOne(db, sql: "SELECT MAX(sequence) FROM revocation") ?? request.after
            return Revocations(originJtis: records.map(\.originJti), sequence: max(latest, request.after))
        }
    }
}
