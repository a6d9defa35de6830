import Primitives

/// One HMAC-SHA256 key of the ring: its id (the JWT `kid`) and its secret bytes.
public struct SigningKey: Sendable, Equatable, Codable {
    public let kid: String
    public let secret: [UInt8]
    /// The secret prepared for HMAC.
    let hmac: HMACKey

    public init(kid: String, secret: [UInt8]) {
        self.kid = kid
        self.secret = secret
        self.hmac = HMACKey(secret: secret)
    }

    public static func == (lhs: SigningKey, rhs: SigningKey) -> Bool { lhs.kid == rhs.kid && lhs.secret == rhs.secret }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            kid: try container.decode(String.self, forKey: .kid),
            secret: try container.decode([UInt8].self, forKey: .secret))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kid, forKey: .kid)
        try container.encode(secret, forKey: .secret)
    }

    /// A fresh key: 32 random bytes and a random id.
    public static func generate() -> SigningKey {
        SigningKey(kid: Crypto.hex(Crypto.randomBytes(8)), secret: Crypto.randomBytes(32))
    }

    enum CodingKeys: Int, CodingKey {
        case kid = 1, secret
    }
}
