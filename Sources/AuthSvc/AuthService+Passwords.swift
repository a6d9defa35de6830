import Contracts
import Wire

extension AuthService {
    /// Sends a reset code. Every caller gets the same answer; unknown users get no mail (M7).
    func forgotPassword(_ request: UsernameRequest) async throws -> CodeDelivery {
        try throttle(.mail, username: request.username.lowercased(), client: request.client)
        if let user = try await user(named: request.username) {
            _ = try await sendCode(to: user, purpose: .reset)
        }
        return CodeDelivery.undisclosed
    }

    /// Sets a new password with a reset code; every sign-in is revoked. The code proves the email.
    func resetPassword(_ request: ResetPasswordRequest) async throws {
        try throttle(.code, username: request.username.lowercased(), client: request.client)
        try checkPolicy(request.newPassword)
        guard let user = try await user(named: request.username) else {
            throw WireError(.codeMismatch, "Invalid verification code provided, please try again")
        }
        try await consumeCode(request.code, for: user, purpose: .reset)
        let hash = await PasswordHasher.hash(request.newPassword, iterations: settings.passwordIterations)
        try await setPassword(hash, for: user, verifiesEmail: true, keeping: nil)
        logger.info("password reset", metadata: ["sub": "\(user.sub)"])
    }

    /// Changes the password of a signed-in user, who proves the old one; other sign-ins are revoked.
    func changePassword(_ request: ChangePasswordRequest) async throws {
        let user = try await signedInUser(request.user.sub, proving: request.oldPassword, client: request.client)
        try checkPolicy(request.newPassword)
        let hash = await PasswordHasher.hash(request.newPassword, iterations: settings.passwordIterations)
        try await setPassword(hash, for: user, verifiesEmail: false, keeping: request.user.originJti)
        logger.info("password changed", metadata: ["sub": "\(user.sub)"])
    }

    /// Proves that the signed-in user still knows the password (before deleting the account); throttled
    /// like a login, so a stolen token cannot be used to guess it.
    func verifyPassword(_ request: VerifyPasswordRequest) async throws {
        _ = try await signedInUser(request.user.sub, proving: request.password, client: request.client)
    }

    /// The signed-in user `sub`, once `password` is theirs; the attempt counts toward the password flow.
    private func signedInUser(_ sub: String, proving password: String, client: ClientContext) async throws
        -> UserRow
    {
        try throttle(.password, username: "sub:" + sub, client: client)
        let user = try await user(sub: sub)
        guard let stored = PasswordHash(encoded: user.passwordHash),
            await PasswordHasher.verify(password, against: stored)
        else { throw WireError(.notAuthorized, "Incorrect username or password") }
        return user
    }

    private func setPassword(_ hash: PasswordHash, for user: UserRow, verifiesEmail: Bool, keeping: String?)
        async throws
    {
        var updated = user
        updated.passwordHash = hash.encoded
        updated.updatedAt = nowSeconds()
        if verifiesEmail {
            updated.confirmed = true
            updated.emailVerified = true
        }
        try await store.update(updated, revokingSignInsBut: keeping, revocationNow())
    }

    func getUser(_ request: UserRequest) async throws -> UserInfo {
        Self.userInfo(try await user(sub: request.sub))
    }

    /// Deletes the account; its sign-ins are revoked first so that outstanding tokens stop working.
    func deleteUser(_ request: UserRequest) async throws {
        let user = try await user(sub: request.sub)
        try await store.delete(sub: user.sub, revocationNow())
        logger.info("account deleted", metadata: ["sub": "\(user.sub)"])
    }
}
