import COpenSSL

/// An HMAC-SHA256 key with its padded inner and outer blocks already hashed, so that each signature
/// costs two SHA-256 runs over the message and the inner digest, and no OpenSSL context set-up.
/// (OpenSSL 3's one-shot `HMAC()` fetches the algorithm and builds contexts on every call, which
/// made it most of a token verification.)
///
/// Unchecked Sendable because the imported C struct SHA256_CTX is not marked Sendable. Safe: it is plain
/// integers with no pointers, both values are `let`s set once in `init`, and `authenticate` only reads
/// them into local copies.
final class HMACKey: @unchecked Sendable {
    /// Bytes in a signature.
    static let digestSize = 32

    private let inner: SHA256_CTX
    private let outer: SHA256_CTX

    init(secret: [UInt8]) {
        var key = secret.count > 64 ? Self.digest(secret) : secret
        key += [UInt8](repeating: 0, count: 64 - key.count)
        var inner = SHA256_CTX()
        var outer = SHA256_CTX()
        SHA256_Init(&inner)
        SHA256_Init(&outer)
        SHA256_Update(&inner, key.map { $0 ^ 0x36 }, 64)
        SHA256_Update(&outer, key.map { $0 ^ 0x5C }, 64)
        self.inner = inner
        self.outer = outer
    }

    /// HMAC-SHA256 of `message`.
    func authenticate(_ message: UnsafeRawBufferPointer) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: Self.digestSize) { digest, count in
            authenticate(message, into: digest.baseAddress!)
            count = Self.digestSize
        }
    }

    /// HMAC-SHA256 of `message` into `digestSize` bytes at `digest`, allocating nothing.
    func authenticate(_ message: UnsafeRawBufferPointer, into digest: UnsafeMutablePointer<UInt8>) {
        var context = inner
        SHA256_Update(&context, message.baseAddress, message.count)
        SHA256_Final(digest, &context)
        context = outer
        SHA256_Update(&context, digest, Self.digestSize)
        SHA256_Final(digest, &context)
    }

    private static func digest(_ bytes: [UInt8]) -> [UInt8] {
        var context = SHA256_CTX()
        var out = [UInt8](repeating: 0, count: digestSize)
        SHA256_Init(&context)
        SHA256_Update(&context, bytes, bytes.count)
        SHA256_Final(&out, &context)
        return out
    }
}
