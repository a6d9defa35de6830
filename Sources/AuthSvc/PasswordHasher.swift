import Contracts
import Primitives
import ServiceRuntime
import Wire

/// A stored password: PBKDF2-HMAC-SHA256 with its iterations and salt, encoded as
/// `pbkdf2_sha256$<iterations>$<salt hex>$<hash hex>`.
struct PasswordHash: Sendable, Equatable {
    var iterations: Int
    var salt: [UInt8]
    var hash: [UInt8]

    var encoded: String { "pbkdf2_sha256$\(iterations)$\(Crypto.hex(salt))$\(Crypto.hex(hash))" }

    init(iterations: Int, salt: [UInt8], hash: [UInt8]) {
        (self.iterations, self.salt, self.hash) = (iterations, salt, hash)
    }

    init?(encoded: String) {
        let parts = encoded.split(separator: "$")
        guard parts.count == 4, parts[0] == "pbkdf2_sha256", let iterations = Int(parts[1]), iterations > 0,
            let salt = Crypto.bytes(hex: String(parts[2])), let hash = Crypto.bytes(hex: String(parts[3]))
        else { return nil }
        self.init(iterations: iterations, salt: salt, hash: hash)
    }
}

/// PBKDF2 through OpenSSL's PKCS5_PBKDF2_HMAC. The work runs on a Dispatch queue, not on the Swift
/// concurrency pool, so hundreds of milliseconds of hashing never starve other requests' tasks.
enum PasswordHasher {
    static let saltSize = 16
    static let hashSize = 32

    static func hash(_ password: String, iterations: Int) async -> PasswordHash {
        let salt = Crypto.randomBytes(saltSize)
        let hash = await Offload.run { derive(password, salt: salt, iterations: iterations) }
        return PasswordHash(iterations: iterations, salt: salt, hash: hash)
    }

    /// Whether `password` matches, compared in constant time.
    static func verify(_ password: String, against stored: PasswordHash) async -> Bool {
        let derived = await Offload.run { derive(password, salt: stored.salt, iterations: stored.iterations) }
        return Crypto.constantTimeEqual(derived, stored.hash)
    }

    static func derive(_ password: String, salt: [UInt8], iterations: Int) -> [UInt8] {
        Crypto.pbkdf2SHA256(password: Array(password.utf8), salt: salt, iterations: iterations, length: hashSize)
    }
}
