import Wire

/// AuthSvc's methods: the user pool's flows, the key ring and revocations. Ids 100–199.
public enum AuthContract {
    public static let signUp = Method<SignUpRequest, SignUpResponse>(id: 100, name: "auth.signUp", callers: .gateway)
    public static let confirmSignUp = Method<ConfirmRequest, Empty>(
        id: 101, name: "auth.confirmSignUp", callers: .gateway)
    public static let resendCode = Method<UsernameRequest, CodeDelivery>(
        id: 102, name: "auth.resendCode", callers: .gateway)
    public static let login = Method<LoginRequest, TokenSet>(id: 103, name: "auth.login", callers: .gateway)
    public static let refresh = Method<RefreshRequest, TokenSet>(id: 104, name: "auth.refresh", callers: .gateway)
    public static let logout = Method<RefreshRequest, Empty>(id: 105, name: "auth.logout", callers: .gateway)
    public static let logoutAll = Method<UserRequest, Empty>(id: 106, name: "auth.logoutAll", callers: .gateway)
    public static let forgotPassword = Method<UsernameRequest, CodeDelivery>(
        id: 107, name: "auth.forgotPassword", callers: .gateway)
    public static let resetPassword = Method<ResetPasswordRequest, Empty>(
        id: 108, name: "auth.resetPassword", callers: .gateway)
    public static let changePassword = Method<ChangePasswordRequest, Empty>(
        id: 109, name: "auth.changePassword", callers: .gateway)
    public static let getUser = Method<UserRequest, UserInfo>(id: 110, name: "auth.getUser", callers: .gateway)
    public static let deleteUser = Method<UserRequest, Empty>(
        id: 111, name: "auth.deleteUser", callers: .gateway.or(.operatorCommands))
    public static let verificationKeys = Method<Empty, VerificationKeys>(
        id: 112, name: "auth.verificationKeys", callers: .gateway)
    public static let revocations = Method<RevocationsRequest, Revocations>(
        id: 113, name: "auth.revocations", callers: .gateway)
    public static let rotateKey = Method<Empty, KeyRotation>(
        id: 114, name: "auth.rotateKey", callers: .operatorCommands)
    /// Checks a signed-in user's password before an irreversible step (deleting the account, L14).
    public static let verifyPassword = Method<VerifyPasswordRequest, Empty>(
        id: 115, name: "auth.verifyPassword", callers: .gateway)
    /// Emergency revocation of a signing key (leaked, say): tokens it signed stop verifying as soon as
    /// each gateway's key cache refreshes (within `GatewaySettings.keyCacheAge`); an active key is replaced.
    public static let revokeKey = Method<RevokeKeyRequest, KeyRevocation>(
        id: 116, name: "auth.revokeKey", callers: .operatorCommands)
}

/// AuthSvc's error codes, named as Cognito names them.
extension WireError.Code {
    public static let usernameExists = Self(1001, "UsernameExists")
    public static let invalidPassword = Self(1002, "InvalidPassword")
    public static let codeMismatch = Self(1003, "CodeMismatch")
    public static let expiredCode = Self(1004, "ExpiredCode")
    public static let notAuthorized = Self(1005, "NotAuthorized")
    public static let userNotConfirmed = Self(1006, "UserNotConfirmed")
    public static let tooManyRequests = Self(1007, "TooManyRequests")
    public static let limitExceeded = Self(1008, "LimitExceeded")
    public static let invalidParameter = Self(1009, "InvalidParameter")
    public static let aliasExists = Self(1010, "AliasExists")
}

extension WireError {
    /// TooManyRequests with the seconds to wait in its message, where `retryAfterSeconds` finds them
    /// (the ERROR frame carries a code and a message only).
    public static func tooManyRequests(retryAfter seconds: Int) -> WireError {
        WireError(.tooManyRequests, "Too many attempts; retry after \(seconds) seconds")
    }

    /// The wait a `tooManyRequests(retryAfter:)` error names, or nil.
    public var retryAfterSeconds: Int? {
        guard code == .tooManyRequests, let match = message.firstMatch(of: /retry after (\d+) seconds/) else {
            return nil
        }
        return Int(match.1)
    }
}

extension AuthContract {
    /// The codes above, so that a code read off the wire gets its name back.
    static let errorCodes: [WireError.Code] = [
        .usernameExists, .invalidPassword, .codeMismatch, .expiredCode, .notAuthorized, .userNotConfirmed,
        .tooManyRequests, .limitExceeded, .invalidParameter, .aliasExists,
    ]
}

/// Who is asking: the client's address, for throttling.
public struct ClientContext: Codable, Sendable, Hashable {
    public var address: String

    public init(address: String) { self.address = address }

    enum CodingKeys: Int, CodingKey { case address = 1 }
}

public struct SignUpRequest: Codable, Sendable, Hashable {
    public var username: String
    public var email: String
    public var password: String
    public var client: ClientContext

    public init(username: String, email: String, password: String, client: ClientContext) {
        (self.username, self.email, self.password, self.client) = (username, email, password, client)
    }

    enum CodingKeys: Int, CodingKey { case username = 1, email, password, client }
}

public struct SignUpResponse: Codable, Sendable, Hashable {
    public var userSub: String
    public var confirmed: Bool
    public var delivery: CodeDelivery

    public init(userSub: String, confirmed: Bool, delivery: CodeDelivery) {
        (self.userSub, self.confirmed, self.delivery) = (userSub, confirmed, delivery)
    }

    enum CodingKeys: Int, CodingKey { case userSub = 1, confirmed, delivery }
}

/// Where a code was sent: the medium and a masked destination (`j***@example.com`).
public struct CodeDelivery: Codable, Sendable, Hashable {
    public var medium: String
    public var destination: String

    public init(medium: String, destination: String) { (self.medium, self.destination) = (medium, destination) }

    /// The answer to resend-code and forgot-password for everyone, so neither tells who has an account.
    public static let undisclosed = CodeDelivery(medium: "EMAIL", destination: "the account's email address")

    enum CodingKeys: Int, CodingKey { case medium = 1, destination }
}

public struct ConfirmRequest: Codable, Sendable, Hashable {
    public var username: String
    public var code: String
    public var client: ClientContext

    public init(username: String, code: String, client: ClientContext) {
        (self.username, self.code, self.client) = (username, code, client)
    }

    enum CodingKeys: Int, CodingKey { case username = 1, code, client }
}

public struct UsernameRequest: Codable, Sendable, Hashable {
    public var username: String
    public var client: ClientContext

    public init(username: String, client: ClientContext) { (self.username, self.client) = (username, client) }

    enum CodingKeys: Int, CodingKey { case username = 1, client }
}

public struct LoginRequest: Codable, Sendable, Hashable {
    /// A username or an email address.
    public var username: String
    public var password: String
    public var client: ClientContext

    public init(username: String, password: String, client: ClientContext) {
        (self.username, self.password, self.client) = (username, password, client)
    }

    enum CodingKeys: Int, CodingKey { case username = 1, password, client }
}

public struct TokenSet: Codable, Sendable, Hashable {
    public var accessToken: String
    public var idToken: String
    public var refreshToken: String
    /// Seconds until the access and id tokens expire.
    public var expiresIn: Int
    public var tokenType: String

    public init(
        accessToken: String, idToken: String, refreshToken: String, expiresIn: Int, tokenType: String = "Bearer"
    ) {
        self.accessToken = accessToken
        self.idToken = idToken
        self.refreshToken = refreshToken
        self.expiresIn = expiresIn
        self.tokenType = tokenType
    }

    enum CodingKeys: Int, CodingKey { case accessToken = 1, idToken, refreshToken, expiresIn, tokenType }
}

public struct RefreshRequest: Codable, Sendable, Hashable {
    public var refreshToken: String
    public var client: ClientContext

    public init(refreshToken: String, client: ClientContext) {
        (self.refreshToken, self.client) = (refreshToken, client)
    }

    enum CodingKeys: Int, CodingKey { case refreshToken = 1, client }
}

/// A request on behalf of a signed-in user, named by the `sub` (and sign-in) of a token the gateway verified.
public struct UserRequest: Codable, Sendable, Hashable {
    public var sub: String
    /// The sign-in the request came through (`origin_jti`), when it matters.
    public var originJti: String?

    public init(sub: String, originJti: String? = nil) { (self.sub, self.originJti) = (sub, originJti) }

    enum CodingKeys: Int, CodingKey { case sub = 1, originJti }
}

public struct ResetPasswordRequest: Codable, Sendable, Hashable {
    public var username: String
    public var code: String
    public var newPassword: String
    public var client: ClientContext

    public init(username: String, code: String, newPassword: String, client: ClientContext) {
        (self.username, self.code, self.newPassword, self.client) = (username, code, newPassword, client)
    }

    enum CodingKeys: Int, CodingKey { case username = 1, code, newPassword, client }
}

public struct ChangePasswordRequest: Codable, Sendable, Hashable {
    public var user: UserRequest
    public var oldPassword: String
    public var newPassword: String
    public var client: ClientContext

    public init(user: UserRequest, oldPassword: String, newPassword: String, client: ClientContext) {
        (self.user, self.oldPassword, self.newPassword, self.client) = (user, oldPassword, newPassword, client)
    }

    enum CodingKeys: Int, CodingKey { case user = 1, oldPassword, newPassword, client }
}

public struct VerifyPasswordRequest: Codable, Sendable, Hashable {
    public var user: UserRequest
    public var password: String
    public var client: ClientContext

    public init(user: UserRequest, password: String, client: ClientContext) {
        (self.user, self.password, self.client) = (user, password, client)
    }

    enum CodingKeys: Int, CodingKey { case user = 1, password, client }
}

public struct UserInfo: Codable, Sendable, Hashable {
    public var sub: String
    public var username: String
    public var email: String
    public var emailVerified: Bool
    /// The user's own storage folder name (the Cognito-era "bucketfolder" attribute; docs/api.md).
    public var storageFolder: String
    /// Seconds since 1970.
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(
        sub: String, username: String, email: String, emailVerified: Bool, storageFolder: String, createdAt: Int64,
        updatedAt: Int64
    ) {
        self.sub = sub
        self.username = username
        self.email = email
        self.emailVerified = emailVerified
        self.storageFolder = storageFolder
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    enum CodingKeys: Int, CodingKey {
        case sub = 1, username, email, emailVerified, storageFolder, createdAt, updatedAt
    }
}

/// The keys that verify tokens, newest first, and the issuer they must name.
public struct VerificationKeys: Codable, Sendable, Hashable {
    public struct Key: Codable, Sendable, Hashable {
        public var kid: String
        public var secret: [UInt8]

        public init(kid: String, secret: [UInt8]) { (self.kid, self.secret) = (kid, secret) }

        enum CodingKeys: Int, CodingKey { case kid = 1, secret }
    }

    public var issuer: String
    public var keys: [Key]
    /// The `client_id` every access token must carry (L13); nil from an AuthSvc that predates it.
    public var audience: String?
    /// Seconds an access token lives, so a verifier knows how long a revocation matters (L13).
    public var tokenLifetime: Int?

    public init(issuer: String, keys: [Key], audience: String? = nil, tokenLifetime: Int? = nil) {
        (self.issuer, self.keys, self.audience, self.tokenLifetime) = (issuer, keys, audience, tokenLifetime)
    }

    enum CodingKeys: Int, CodingKey { case issuer = 1, keys, audience, tokenLifetime }
}

public struct RevocationsRequest: Codable, Sendable, Hashable {
    /// Only revocations with a sequence number above this (0: all still relevant).
    public var after: Int64

    public init(after: Int64) { self.after = after }

    enum CodingKeys: Int, CodingKey { case after = 1 }
}

/// Revoked sign-ins (`origin_jti`s) whose tokens may still be unexpired.
public struct Revocations: Codable, Sendable, Hashable {
    public var originJtis: [String]
    /// The highest sequence number included; pass it as `after` next time.
    public var sequence: Int64

    public init(originJtis: [String], sequence: Int64) { (self.originJtis, self.sequence) = (originJtis, sequence) }

    enum CodingKeys: Int, CodingKey { case originJtis = 1, sequence }
}

public struct RevokeKeyRequest: Codable, Sendable, Hashable {
    public var kid: String

    public init(kid: String) { self.kid = kid }

    enum CodingKeys: Int, CodingKey { case kid = 1 }
}

public struct KeyRevocation: Codable, Sendable, Hashable {
    /// The key that was revoked.
    public var kid: String
    /// The key that signs from now on (new when the revoked one was the active key).
    public var activeKid: String

    public init(kid: String, activeKid: String) { (self.kid, self.activeKid) = (kid, activeKid) }

    enum CodingKeys: Int, CodingKey { case kid = 1, activeKid }
}

public struct KeyRotation: Codable, Sendable, Hashable {
    public var kid: String

    public init(kid: String) { self.kid = kid }

    enum CodingKeys: Int, CodingKey { case kid = 1 }
}
