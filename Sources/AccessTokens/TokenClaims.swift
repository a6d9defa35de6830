/// What an id or access token says, with Cognito's claim names.
public struct TokenClaims: Sendable, Equatable, Codable {
    /// The user's permanent id (a UUID).
    public var sub: String
    /// The issuer, e.g. `clearsky`.
    public var iss: String
    /// `id` or `access`.
    public var tokenUse: TokenUse
    /// When the user signed in (seconds since 1970); kept across refreshes.
    public var authTime: Int
    public var iat: Int
    public var exp: Int
    /// This token's id.
    public var jti: String
    /// The id of the sign-in (the refresh-token family) this token descends from: revoking the
    /// sign-in revokes every token with this `origin_jti`.
    public var originJti: String
    public var username: String
    /// The client the token was issued to: `aud` in id tokens, `client_id` in access tokens.
    public var clientId: String
    /// Id tokens only.
    public var email: String?
    /// Id tokens only.
    public var emailVerified: Bool?

    public enum TokenUse: String, Sendable, Codable {
        case id
        case access
    }

    public init(
        sub: String, iss: String, tokenUse: TokenUse, authTime: Int, iat: Int, exp: Int, jti: String,
        originJti: String, username: String, clientId: String, email: String? = nil, emailVerified: Bool? = nil
    ) {
        self.sub = sub
        self.iss = iss
        self.tokenUse = tokenUse
        self.authTime = authTime
        self.iat = iat
        self.exp = exp
        self.jti = jti
        self.originJti = originJti
        self.username = username
        self.clientId = clientId
        self.email = email
        self.emailVerified = emailVerified
    }

    enum CodingKeys: String, CodingKey {
        case sub, iss, iat, exp, jti, username, email, aud
        case tokenUse = "token_use"
        case authTime = "auth_time"
        case originJti = "origin_jti"
        case clientId = "client_id"
        case emailVerified = "email_verified"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        sub = try container.decode(String.self, forKey: .sub)
        iss = try container.decode(String.self, forKey: .iss)
        tokenUse = try container.decode(TokenUse.self, forKey: .tokenUse)
        authTime = try container.decode(Int.self, forKey: .authTime)
        iat = try container.decode(Int.self, forKey: .iat)
        exp = try container.decode(Int.self, forKey: .exp)
        jti = try container.decode(String.self, forKey: .jti)
        originJti = try container.decode(String.self, forKey: .originJti)
        username = try container.decode(String.self, forKey: .username)
        clientId =
            try container.decodeIfPresent(String.self, forKey: .clientId)
            ?? container.decode(String.self, forKey: .aud)
        email = try container.decodeIfPresent(String.self, forKey: .email)
        emailVerified = try container.decodeIfPresent(Bool.self, forKey: .emailVerified)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(sub, forKey: .sub)
        try container.encode(iss, forKey: .iss)
        try container.encode(tokenUse, forKey: .tokenUse)
        try container.encode(authTime, forKey: .authTime)
        try container.encode(iat, forKey: .iat)
        try container.encode(exp, forKey: .exp)
        try container.encode(jti, forKey: .jti)
        try container.encode(originJti, forKey: .originJti)
        try container.encode(username, forKey: .username)
        try container.encode(clientId, forKey: tokenUse == .id ? .aud : .clientId)
        try container.encodeIfPresent(email, forKey: .email)
        try container.encodeIfPresent(emailVerified, forKey: .emailVerified)
    }
}
