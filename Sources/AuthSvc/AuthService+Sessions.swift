import AccessTokens
import Contracts
import Foundation
import Primitives
import Wire

extension AuthService {
    /// Login by username or email. Unknown users and wrong passwords get the same answer after the same
    /// PBKDF2 work.
    func login(_ request: LoginRequest) async throws -> TokenSet {
        try throttle(.password, username: request.username.lowercased(), client: request.client)
        let found = try await user(named: request.username)
        let stored = found.flatMap { PasswordHash(encoded: $0.passwordHash) } ?? decoyHash
        let matches = await PasswordHasher.verify(request.password, against: stored)
        guard var user = found, matches else {
            logger.info("login refused", metadata: ["reason": "credentials"])
            throw WireError(.notAuthorized, "Incorrect username or password")
        }
        guard user.confirmed else { throw WireError(.userNotConfirmed, "User is not confirmed") }
        usernameThrottle.reset("user:" + request.username.lowercased())
        if stored.iterations < settings.passwordIterations {
            // The default rose since this hash was made: upgrade it now that the password is at hand.
            user.passwordHash = await PasswordHasher.hash(request.password, iterations: settings.passwordIterations)
                .encoded
            try await store.update(user)
        }
        let time = nowSeconds()
        let signIn = SignInRow(
            originJti: UUID().uuidString.lowercased(), sub: user.sub, authTime: time,
            expiresAt: time + Int64(settings.refreshLifetime), revokedAt: nil)
        let (refreshToken, refreshRow) = newRefreshToken(originJti: signIn.originJti, at: time)
        try await store.startSignIn(signIn, token: refreshRow)
        logger.info("logged in", metadata: ["sub": "\(user.sub)"])
        return try await issue(for: user, signIn: signIn, refreshToken: refreshToken)
    }

    /// New tokens for a refresh token, which is used up: the answer carries its successor. Presenting a
    /// used-up token again means it was copied, so the whole sign-in is revoked.
    func refresh(_ request: RefreshRequest) async throws -> TokenSet {
        let time = nowSeconds()
        let presented = Self.refreshHash(request.refreshToken)
        let (next, nextRow) = newRefreshToken(originJti: "", at: time)
        let outcome = try await store.rotate(
            refreshToken: presented, successor: nextRow, now: time, revocationNow())
        switch outcome {
        case .refused(let message):
            throw WireError(.notAuthorized, message)
        case .reused:
            logger.warning("refresh token reused; sign-in revoked")
            throw WireError(.notAuthorized, "Refresh token has been revoked")
        case .rotated(let signIn):
            return try await issue(for: try await user(sub: signIn.sub), signIn: signIn, refreshToken: next)
        }
    }

    /// Revokes the sign-in a refresh token belongs to, with every token derived from it.
    func logout(_ request: RefreshRequest) async throws {
        let presented = Self.refreshHash(request.refreshToken)
        let found = try await store.revokeSignIn(refreshToken: presented, revocationNow())
        guard found else { throw WireError(.notAuthorized, "Invalid refresh token") }
    }

    /// Global sign-out: every sign-in of the user, except `keeping`.
    func logoutAll(sub: String, keeping: String? = nil) async throws {
        try await store.revokeSignIns(sub: sub, keeping: keeping, revocationNow())
    }

    func newRefreshToken(originJti: String, at time: Int64) -> (String, RefreshTokenRow) {
        let token = Crypto.hex(Crypto.randomBytes(32))
        return (
            token,
            RefreshTokenRow(tokenHash: Self.refreshHash(token), originJti: originJti, issuedAt: time, rotatedAt: nil)
        )
    }

    static func refreshHash(_ token: String) -> Data { Data(Crypto.sha256(Array(token.utf8))) }

    func issue(for user: UserRow, signIn: SignInRow, refreshToken: String) async throws -> TokenSet {
        let key = try await activeKey()
        let time = Int(nowSeconds())
        func claims(_ use: TokenClaims.TokenUse) -> TokenClaims {
            TokenClaims(
                sub: user.sub, iss: settings.issuer, tokenUse: use, authTime: Int(signIn.authTime), iat: time,
                exp: time + settings.tokenLifetime, jti: UUID().uuidString.lowercased(), originJti: signIn.originJti,
                username: user.username, clientId: settings.clientId,
                email: use == .id ? user.email : nil, emailVerified: use == .id ? user.emailVerified : nil)
        }
        return TokenSet(
            accessToken: JWT.sign(claims(.access), with: key), idToken: JWT.sign(claims(.id), with: key),
            refreshToken: refreshToken, expiresIn: settings.tokenLifetime)
    }
}

extension AuthService {
    /// Removes what no flow needs any more: sign-ins past their end (revoked or not, with their refresh
    /// tokens), refresh tokens used up longer ago than `usedTokenRetention` (a copy presented after that
    /// is refused as unknown rather than revoking its sign-in), and codes past their expiry.
    func prune() async throws -> [String: Int] {
        let time = nowSeconds()
        let usedBefore = time - Int64(settings.usedTokenRetention)
        return try await store.prune(now: time, usedBefore: usedBefore)
    }
}
