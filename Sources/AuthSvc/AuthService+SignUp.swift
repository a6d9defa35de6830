import Contracts
import Foundation
import Primitives
import Wire

extension AuthService {
    func signUp(_ request: SignUpRequest) async throws -> SignUpResponse {
        let usernameKey = try Identity.usernameKey(request.username)
        let emailKey = try Identity.emailKey(request.email)
        try checkPolicy(request.password)
        if let wait = addressThrottle.attempt("signup:" + request.client.address, now: nowSeconds()) {
            throw WireError.tooManyRequests(retryAfter: wait)
        }
        let hash = await PasswordHasher.hash(request.password, iterations: settings.passwordIterations)
        let time = nowSeconds()
        let sub = UUID().uuidString.lowercased()
        let user = UserRow(
            sub: sub, username: request.username, usernameKey: usernameKey, email: request.email, emailKey: emailKey,
            emailVerified: false, confirmed: false, passwordHash: hash.encoded,
            storageFolder: "u-" + Crypto.hex(Crypto.randomBytes(12)), createdAt: time, updatedAt: time)
        switch try await store.insert(user) {
        case .username?: throw WireError(.usernameExists, "User already exists")
        case .email?: throw WireError(.aliasExists, "An account with the given email already exists")
        case nil: break
        }
        logger.info("signed up", metadata: ["sub": "\(sub)"])
        let delivery = try await sendCode(to: user, purpose: .signUp)
        return SignUpResponse(userSub: sub, confirmed: false, delivery: delivery)
    }

    func confirmSignUp(_ request: ConfirmRequest) async throws {
        try throttle(.code, username: request.username.lowercased(), client: request.client)
        guard let user = try await user(named: request.username) else {
            throw WireError(.codeMismatch, "Invalid verification code provided, please try again")
        }
        guard !user.confirmed else {
            throw WireError(.notAuthorized, "User cannot be confirmed. Current status is CONFIRMED")
        }
        try await consumeCode(request.code, for: user, purpose: .signUp)
        let time = nowSeconds()
        var confirmed = user
        confirmed.confirmed = true
        confirmed.emailVerified = true
        confirmed.updatedAt = time
        try await store.update(confirmed)
        logger.info("confirmed", metadata: ["sub": "\(user.sub)"])
    }

    /// A new confirmation code. Every caller gets the same answer, as Cognito's
    /// PreventUserExistenceErrors gives: unknown and already confirmed users get no mail, so the call
    /// does not reveal who has an account or its address (M7).
    func resendCode(_ request: UsernameRequest) async throws -> CodeDelivery {
        try throttle(.mail, username: request.username.lowercased(), client: request.client)
        if let user = try await user(named: request.username), !user.confirmed {
            _ = try await sendCode(to: user, purpose: .signUp)
        }
        return CodeDelivery.undisclosed
    }
}
