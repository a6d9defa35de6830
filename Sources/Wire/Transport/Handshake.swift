import Primitives
import Synchronization

/// HELLO: the versions a client speaks, the service it expects, and its nonce.
struct Hello: Codable, Sendable {
    var minVersion: UInt32
    var maxVersion: UInt32
    var service: String
    var nonce: [UInt8]
    /// The version of the contracts the client speaks (absent from peers older than the field).
    var contracts: UInt32?

    enum CodingKeys: Int, CodingKey {
        case minVersion = 1, maxVersion, service, nonce, contracts
    }
}

/// HELLO_ACK: the chosen version, the server's nonce and its proof of the cluster secret.
struct HelloAck: Codable, Sendable {
    var version: UInt32
    var service: String
    var nonce: [UInt8]
    var proof: [UInt8]
    /// The version of the contracts the server speaks.
    var contracts: UInt32?

    enum CodingKeys: Int, CodingKey {
        case version = 1, service, nonce, proof, contracts
    }
}

/// The contracts' version this process announces in its handshakes. Wire carries it and logs a peer
/// whose version differs; what the number means is the contracts' business (`ContractRegistry`).
public enum WireContracts {
    private static let current = Mutex<UInt32?>(nil)

    public static func announce(version: UInt32) {
        current.withLock { $0 = version }
    }

    public static var announced: UInt32? { current.withLock { $0 } }
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
