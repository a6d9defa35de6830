import Primitives

/// HELLO: the versions a client speaks, the service it expects, and its nonce.
struct Hello: Codable, Sendable {
    var minVersion: UInt32
    var maxVersion: UInt32
    var service: String
    var nonce: [UInt8]

    enum CodingKeys: Int, CodingKey {
        case minVersion = 1, maxVersion, service, nonce
    }
}

/// HELLO_ACK: the chosen version, the server's nonce and its proof of the cluster secret.
struct HelloAck: Codable, Sendable {
    var version: UInt32
    var service: String
    var nonce: [UInt8]
    var proof: [UInt8]

    enum CodingKeys: Int, CodingKey {
        case version = 1, service, nonce, proof
    }
}

/// The mutual proof of the cluster secret: HMAC-SHA256 over both nonces, labelled by side.
enum Handshake {
    static let protocolVersion: UInt32 = 1
    static let nonceSize = 32

    static func proof(_ secret: ClusterSecret, side: String, service: String, client: [UInt8], server: [UInt8])
        -> [UInt8]
    {
        Crypto.hmacSHA256(
            key: secret.bytes, Array("clearsky-wire/\(side)/\(service)/".utf8), client, server)
    }
}
