import COpenSSL
import Foundation
import Primitives

/// The shared secret every process of one cluster proves knowledge of during the handshake.
public struct ClusterSecret: Sendable {
    let bytes: [UInt8]

    public init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// A key for one purpose (`"signed-urls"`), the same in every process of the cluster and useless for
    /// any other purpose or for the handshake: HMAC-SHA256 of the purpose under the secret.
    public func derivedKey(_ purpose: String) -> [UInt8] {
        Crypto.hmacSHA256(key: bytes, Array("clearsky derived key: \(purpose)".utf8))
    }

    /// 32 random bytes from OpenSSL's generator.
    public static func random() -> ClusterSecret {
        ClusterSecret(bytes: Crypto.randomBytes(32))
    }

    /// Reads a secret file (hex text, as `clearsky up` writes it).
    public static func load(from path: String) throws -> ClusterSecret {
        guard let text = FileManager.default.contents(atPath: path).flatMap({ String(data: $0, encoding: .utf8) })
        else {
            throw WireError(.failedPrecondition, "Cannot read the cluster secret file at \(path)")
        }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let bytes = Crypto.bytes(hex: trimmed), bytes.count >= 16 else {
            throw WireError(.failedPrecondition, "The cluster secret at \(path) must be at least 32 hex digits")
        }
        return ClusterSecret(bytes: bytes)
    }

    /// Writes the secret as hex to a new file readable by its owner only.
    public func write(to path: String) throws {
        let hex = Crypto.hex(bytes) + "\n"
        guard
            FileManager.default.createFile(
                atPath: path, contents: Data(hex.utf8), attributes: [.posixPermissions: 0o600])
        else {
            throw WireError(.failedPrecondition, "Cannot write the cluster secret file at \(path)")
        }
    }
}

/// What a process proves itself with: the cluster secret (the handshake's proof, derived keys) and, unless
/// the cluster runs plain Wire on loopback, its mutual-TLS identity.
public struct WireCredentials: Sendable {
    public var secret: ClusterSecret
    /// nil for plain Wire (loopback only).
    public var tls: WireTLS?

    public init(secret: ClusterSecret, tls: WireTLS?) {
        (self.secret, self.tls) = (secret, tls)
    }

    /// Plain Wire: the secret alone.
    public static func plain(_ secret: ClusterSecret) -> WireCredentials { WireCredentials(secret: secret, tls: nil) }
}
