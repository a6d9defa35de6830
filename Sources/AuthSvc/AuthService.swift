import AccessTokens
import Contracts
import Foundation
import Logging
import Mail
import Primitives
import Wire

/// The user pool's flows. Every method checks its input, throttles where guessing is possible, and
/// answers with Cognito's error names. Secrets (passwords, codes, tokens) are never logged.
final class AuthService: Sendable {
    let store: any UserStore
    let settings: AuthSettings
    let mail: any MailDelivery
    let logger: Logger
    let nowSeconds: @Sendable () -> Int64
    let usernameThrottle: Throttle
    let usernameTotalThrottle: Throttle
    let addressThrottle: Throttle
    /// Codes mailed per user and purpose within a day, which bounds code guessing across fresh codes
    /// (L1) and mail to one inbox.
    let codeMailThrottle: Throttle
    /// Verified against for unknown users, so that they cost the same PBKDF2 work as known ones.
    let decoyHash: PasswordHash

    /// The throttles are this replica's own: with several AuthSvc replicas behind the gateway, each
    /// budget is per replica (the lockout per code, `codeAttempts`, is in the store and shared).
    init(
        store: any UserStore, settings: AuthSettings, mail: any MailDelivery, logger: Logger,
        nowSeconds: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }
    ) {
        self.store = store
        self.settings = settings
        self.mail = mail
        self.logger = logger
        self.nowSeconds = nowSeconds
        usernameThrottle = Throttle(limit: settings.attemptsPerUsername, window: settings.throttleWindow)
        usernameTotalThrottle = Throttle(limit: settings.attemptsPerUsernameTotal, window: settings.throttleWindow)
        addressThrottle = Throttle(limit: settings.attemptsPerAddress, window: settings.throttleWindow)
        codeMailThrottle = Throttle(limit: settings.codesPerDay, window: 86_400)
        decoyHash = PasswordHash(
            iterations: settings.passwordIterations, salt: Crypto.randomBytes(PasswordHasher.saltSize),
            hash: Crypto.randomBytes(PasswordHasher.hashSize))
    }

    // MARK: Shared steps

    /// What an attempt tries, so that running out of one budget leaves the others (L15): a locked-out
    /// login can still reset its password by mail.
    enum Flow: String {
        /// login, change password, confirm the password before deleting the account
        case password
        /// confirm a sign-up, reset a password with a code
        case code
        /// ask for a code by mail (resend, forgot)
        case mail
    }

    /// Counts an attempt of one flow; TooManyRequests when the username from this address, the username
    /// from all addresses together, or the address is over its budget. An attacker at one address locks
    /// only themselves out of a name; it takes `attemptsPerUsernameTotal / attemptsPerUsername`
    /// addresses to lock its owner out of one flow, and never out of the others (L15).
    func throttle(_ flow: Flow, username: String, client: ClientContext) throws(WireError) {
        let time = nowSeconds()
        if let wait = usernameThrottle.attempt("\(flow.rawValue):\(username)|\(client.address)", now: time)
            ?? usernameTotalThrottle.attempt("\(flow.rawValue):\(username)", now: time)
            ?? addressThrottle.attempt("addr:" + client.address, now: time)
        {
            throw WireError.tooManyRequests(retryAfter: wait)
        }
    }

    func user(named name: String) async throws -> UserRow? {
        try await store.user(key: name.lowercased())
    }

    func user(sub: String) async throws -> UserRow {
        guard let user = try await store.user(sub: sub) else {
            throw WireError(.notAuthorized, "The user no longer exists")
        }
        return user
    }

    func checkPolicy(_ password: String) throws(WireError) {
        if let problem = settings.passwordPolicy.problem(with: password) {
            throw WireError(.invalidPassword, "Password does not conform to policy: \(problem)")
        }
    }

    /// A random 6-digit code (rejection sampling keeps every code equally likely).
    static func newCode() -> String {
        while true {
            let bytes = Crypto.randomBytes(4)
            let value = bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            if value < 4_294_000_000 { return String(format: "%06u", value % 1_000_000) }
        }
    }

    static func codeHash(_ code: String, sub: String) -> Data {
        Data(Crypto.sha256(Array("\(sub):\(code)".utf8)))
    }

    /// Stores a new code for `purpose` (replacing any earlier one) and mails it.
    /// Mails a fresh code, which replaces the previous one, unless `codesPerDay` codes of this purpose
    /// went to the user within a day: then nothing is sent, the previous code stays valid, and the caller
    /// answers as if it had been (M7). So at most `codesPerDay × codeAttempts` codes can be guessed a day
    /// (L1: 50 of a million by default).
    @discardableResult
    func sendCode(to user: UserRow, purpose: CodeRow.Purpose) async throws -> CodeDelivery {
        let delivery = CodeDelivery(medium: "EMAIL", destination: Identity.masked(user.email))
        if codeMailThrottle.attempt("\(purpose.rawValue):\(user.sub)", now: nowSeconds()) != nil {
            logger.notice(
                "code not sent: daily limit", metadata: ["sub": "\(user.sub)", "purpose": "\(purpose.rawValue)"])
            return delivery
        }
        let code = Self.newCode()
        let record = CodeRow(
            sub: user.sub, purpose: purpose, codeHash: Self.codeHash(code, sub: user.sub),
            expiresAt: nowSeconds() + Int64(settings.codeLifetime), failedAttempts: 0)
        try await store.save(record)
        let subject = purpose == .signUp ? "Your Clearsky confirmation code" : "Your Clearsky password reset code"
        let reason = purpose == .signUp ? "confirm your account" : "reset your password"
        try await mail.deliver(
            MailMessage(
                from: settings.mailFrom, to: user.email, subject: subject,
                body: "Hello \(user.username),\n\nUse the code \(code) to \(reason). It is valid for 24 hours.\n"))
        logger.info("code sent", metadata: ["sub": "\(user.sub)", "purpose": "\(purpose.rawValue)"])
        return delivery
    }

    /// Checks a code: LimitExceeded after too many wrong tries, ExpiredCode, CodeMismatch; a right code is
    /// used up.
    func consumeCode(_ code: String, for user: UserRow, purpose: CodeRow.Purpose) async throws {
        let check = try await store.consumeCode(
            sub: user.sub, purpose: purpose, hash: Self.codeHash(code, sub: user.sub),
            maxAttempts: settings.codeAttempts, now: nowSeconds())
        switch check {
        case .accepted: return
        case .mismatch: throw WireError(.codeMismatch, "Invalid verification code provided, please try again")
        case .tooManyAttempts: throw WireError(.limitExceeded, "Too many wrong codes; request a new code")
        case .expired: throw WireError(.expiredCode, "The code has expired; request a new code")
        }
    }

    /// Sign-ins revoked now: their refresh tokens stop working and their access tokens go on the list the
    /// gateway checks until they expire.
    func revocationNow() -> Revocation {
        let time = nowSeconds()
        return Revocation(at: time, listedUntil: time + Int64(settings.tokenLifetime))
    }

    static func userInfo(_ user: UserRow) -> UserInfo {
        UserInfo(
            sub: user.sub, username: user.username, email: user.email, emailVerified: user.emailVerified,
            storageFolder: user.storageFolder, createdAt: user.createdAt, updatedAt: user.updatedAt)
    }
}
