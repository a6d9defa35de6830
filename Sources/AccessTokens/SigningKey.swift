import Wire

/// One HMAC-SHA256 key of the ring: its id (the JWT `kid`) and its secret bytes.
public struct SigningKey: Sendable, Equatable, Codable {
    public var kid: String
    public var secret: [UInt8]

    public init(kid: String, secret: [UInt8]) {
        self.kid = kid
        self.secret = secret
    }

    /// A fresh key: 32 random bytes and a random id.
    public static func generate() -> SigningKey {
        SigningKey(kid: Crypto.hex(Crypto.randomBytes(8)), secret: Crypto.randomBytes(32))
    }

    enum CodingKeys: Int, CodingKey {
        case kid = 1, secret
    }
}
