import AccessTokens
import Contracts
import Wire

extension AuthService {
    /// The key that signs new tokens: the store's active one, read at each issue so that every replica
    /// signs with the key the latest rotation or revocation chose; on a new pool, a new one.
    func activeKey() async throws -> SigningKey {
        try await store.activeKey(orStore: { SigningKey.generate() }, now: nowSeconds())
    }

    /// A new signing key; the old ones keep verifying until the tokens they signed have expired.
    func rotateKey() async throws -> KeyRotation {
        let key = SigningKey.generate()
        try await store.rotate(to: key, now: nowSeconds())
        logger.notice("signing key rotated", metadata: ["kid": "\(key.kid)"])
        return KeyRotation(kid: key.kid)
    }

    /// Removes a key at once (it leaked): tokens it signed stop verifying once each gateway's key cache
    /// refreshes. When it was the active key, a new one takes over.
    func revokeKey(_ request: RevokeKeyRequest) async throws -> KeyRevocation {
        let removal = try await store.revokeKey(request.kid, replacement: SigningKey.generate(), now: nowSeconds())
        guard removal != .notFound else { throw WireError(.notFound, "No signing key \(request.kid)") }
        let activeKid = try await activeKey().kid
        logger.notice("signing key revoked", metadata: ["kid": "\(request.kid)", "active": "\(activeKid)"])
        return KeyRevocation(kid: request.kid, activeKid: activeKid)
    }

    /// Keys that may have signed a token that is still valid, newest first.
    func verificationKeys() async throws -> VerificationKeys {
        let records = try await store.verificationKeys(retiredAfter: nowSeconds() - Int64(settings.tokenLifetime))
        return VerificationKeys(
            issuer: settings.issuer, keys: records.map { .init(kid: $0.kid, secret: Array($0.secret)) },
            audience: settings.clientId, tokenLifetime: settings.tokenLifetime)
    }

    /// Revoked sign-ins whose access tokens may still be unexpired, after a sequence number.
    func revocations(_ request: RevocationsRequest) async throws -> Revocations {
        let (originJtis, latest) = try await store.revocations(after: request.after, now: nowSeconds())
        return Revocations(originJtis: originJtis, sequence: latest)
    }
}
