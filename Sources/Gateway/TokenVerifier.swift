import AccessTokens
import Foundation
import Hummingbird
import Synchronization
import Wire

/// Verifies access tokens locally with keys fetched from AuthSvc, and honours revocations. Keys are
/// fetched on first use and again when a token names an unknown `kid` (at most once a second);
/// revocations are refreshed when older than `revocationMaxAge`.
final class TokenVerifier: Sendable {
    private struct State {
        var issuer = ""
        var keys: [String: SigningKey] = [:]
        var keysFetchedAt: ContinuousClock.Instant?
        /// Revoked sign-ins and when this gateway learned of them; an hour later their tokens are expired.
        var revoked: [String: ContinuousClock.Instant] = [:]
        var sequence: Int64 = 0
        var revocationsFetchedAt: ContinuousClock.Instant?
    }

    private let auth: @Sendable () throws -> WireClient
    private let state = Mutex(State())
    private let clock = ContinuousClock()
    let revocationMaxAge: Duration

    init(revocationMaxAge: Duration = .seconds(2), auth: @escaping @Sendable () throws -> WireClient) {
        self.auth = auth
        self.revocationMaxAge = revocationMaxAge
    }

    /// The claims of the bearer token in `request`, or NotAuthorized.
    func authenticate(_ request: Request) async throws -> TokenClaims {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            throw APIError(.unauthorized, "NotAuthorized", "Missing bearer token")
        }
        return try await verify(String(header.dropFirst("Bearer ".count)))
    }

    func verify(_ token: String) async throws -> TokenClaims {
        if state.withLock({ $0.keysFetchedAt == nil }) { try await refreshKeys() }
        let claims: TokenClaims
        do {
            claims = try check(token)
        } catch .unknownKey {
            // A key rotated since the last fetch: fetch once more, unless that just happened.
            let recent = state.withLock { $0.keysFetchedAt.map { clock.now - $0 < .seconds(1) } ?? false }
            guard !recent else { throw APIError(.unauthorized, "NotAuthorized", "Invalid token") }
            try await refreshKeys()
            do { claims = try check(token) } catch { throw Self.refusal(error) }
        } catch {
            throw Self.refusal(error)
        }
        let stale = state.withLock { $0.revocationsFetchedAt.map { clock.now - $0 > revocationMaxAge } ?? true }
        if stale { try await refreshRevocations() }
        if state.withLock({ $0.revoked[claims.originJti] != nil }) {
            throw APIError(.unauthorized, "NotAuthorized", "Token has been revoked")
        }
        return claims
    }

    /// Signature, algorithm, issuer, use and expiry, with the cached keys only.
    func check(_ token: String) throws(TokenError) -> TokenClaims {
        let (issuer, keys) = state.withLock { ($0.issuer, $0.keys) }
        return try JWT.verify(token, use: .access, issuer: issuer, now: Int(Date().timeIntervalSince1970)) { keys[$0] }
    }

    /// Marks a sign-in revoked at once (after this gateway revoked it), without waiting for a refresh.
    func markRevoked(_ originJti: String) {
        state.withLock { $0.revoked[originJti] = clock.now }
    }

    private func refreshKeys() async throws {
        let fetched = try await auth().call(AuthContract.verificationKeys, Empty())
        state.withLock { state in
            state.issuer = fetched.issuer
            state.keys = Dictionary(fetched.keys.map { ($0.kid, SigningKey(kid: $0.kid, secret: $0.secret)) }) { a, _ in
                a
            }
            state.keysFetchedAt = clock.now
        }
    }

    private func refreshRevocations() async throws {
        let after = state.withLock { $0.sequence }
        let fetched = try await auth().call(AuthContract.revocations, RevocationsRequest(after: after))
        state.withLock { state in
            let now = clock.now
            state.revoked = state.revoked.filter { now - $0.value < .seconds(3_700) }
            for originJti in fetched.originJtis { state.revoked[originJti] = now }
            state.sequence = max(state.sequence, fetched.sequence)
            state.revocationsFetchedAt = clock.now
        }
    }

    private static func refusal(_ error: TokenError) -> APIError {
        let message =
            switch error {
            case .expired: "Token has expired"
            case .wrongUse: "Not an access token"
            case .unsupportedAlgorithm: "Unsupported token algorithm"
            default: "Invalid token"
            }
        return APIError(.unauthorized, "NotAuthorized", message)
    }
}
