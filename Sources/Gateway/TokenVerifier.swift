import AccessTokens
import Contracts
import Foundation
import Hummingbird
import Synchronization
import Wire

/// Verifies access tokens locally with keys fetched from AuthSvc, and honours revocations. Keys are
/// fetched on first use, when a token names an unknown `kid` (at most once a second: a rotated key works
/// at once), and when older than `keyMaxAge` (30 s: a revoked key stops working within it); revocations
/// are refreshed when older than `revocationMaxAge`. When AuthSvc cannot be reached the keys at hand stay
/// in use, and the next try is `keyMaxAge` later.
final class TokenVerifier: Sendable {
    private struct State {
        var issuer = ""
        var audience: String?
        /// How long a revocation is kept: the token lifetime plus the leeway and a margin.
        var revocationLifetime = Duration.seconds(3_700)
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
    let keyMaxAge: Duration

    init(
        revocationMaxAge: Duration = .seconds(2), keyMaxAge: Duration = .seconds(30),
        auth: @escaping @Sendable () throws -> WireClient
    ) {
        self.auth = auth
        self.revocationMaxAge = revocationMaxAge
        self.keyMaxAge = keyMaxAge
    }

    /// The claims of the bearer token in `request`, or NotAuthorized.
    func authenticate(_ request: Request) async throws -> TokenClaims {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            throw APIError(.unauthorized, "NotAuthorized", "Missing bearer token")
        }
        return try await verify(String(header.dropFirst("Bearer ".count)))
    }

    func verify(_ token: String) async throws -> TokenClaims {
        switch state.withLock({ state in state.keysFetchedAt.map { clock.now - $0 > keyMaxAge } }) {
        case nil: try await refreshKeys()
        case true?:
            do {
                try await refreshKeys()
            } catch {
                // Keep verifying with the keys at hand rather than refuse everyone while AuthSvc is away.
                state.withLock { $0.keysFetchedAt = clock.now }
            }
        case false?: break
        }
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

    /// Clock drift between AuthSvc's host and this one that is forgiven on `iat` and `exp`.
    static let leeway = 30

    /// Signature, algorithm, issuer, audience, use and validity, with the cached keys only.
    func check(_ token: String) throws(TokenError) -> TokenClaims {
        let (issuer, audience, keys) = state.withLock { ($0.issuer, $0.audience, $0.keys) }
        return try JWT.verify(
            token, use: .access, issuer: issuer, audience: audience, now: Int(Date().timeIntervalSince1970),
            leeway: Self.leeway
        ) { keys[$0] }
    }

    /// Marks a sign-in revoked at once (after this gateway revoked it), without waiting for a refresh.
    func markRevoked(_ originJti: String) {
        state.withLock { $0.revoked[originJti] = clock.now }
    }

    private func refreshKeys() async throws {
        let fetched = try await auth().call(AuthContract.verificationKeys, Empty())
        state.withLock { state in
            state.issuer = fetched.issuer
            state.audience = fetched.audience
            if let lifetime = fetched.tokenLifetime, lifetime > 0, lifetime < 366 * 86_400 {
                state.revocationLifetime = .seconds(lifetime + Self.leeway + 60)
            }
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
            let keep = state.revocationLifetime
            state.revoked = state.revoked.filter { now - $0.value < keep }
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
