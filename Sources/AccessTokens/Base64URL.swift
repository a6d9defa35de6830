/// base64url without padding (RFC 4648 §5), as JWTs use it.
enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, character) in alphabet.enumerated() { table[Int(character)] = UInt8(index) }
        return table
    }()

    static func isAlphabet(_ character: UInt8) -> Bool { values[Int(character)] != 0xFF }

    static func encode(_ bytes: some Collection<UInt8>) -> String {
        let input = Array(bytes)
        let length = encodedLength(input.count)
        let out = [UInt8](unsafeUninitializedCapacity: length) { out, count in
            input.withUnsafeBufferPointer { encode($0, into: out.baseAddress!) }
            count = length
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Characters in the encoding of `count` bytes (no padding).
    static func encodedLength(_ count: Int) -> Int { (count * 4 + 2) / 3 }

    /// Writes the encoding of `bytes` (`encodedLength(bytes.count)` characters) to `output`, allocating
    /// nothing.
    static func encode(_ bytes: UnsafeBufferPointer<UInt8>, into output: UnsafeMutablePointer<UInt8>) {
        alphabet.withUnsafeBufferPointer { alphabet in
            var buffer: UInt32 = 0
            var bits = 0
            var written = 0
            for byte in bytes {
                buffer = buffer << 8 | UInt32(byte)
                bits += 8
                while bits >= 6 {
                    bits -= 6
                    output[written] = alphabet[Int(buffer >> UInt32(bits) & 0x3F)]
                    written += 1
                }
            }
            if bits > 0 { output[written] = alphabet[Int(buffer << UInt32(6 - bits) & 0x3F)] }
        }
    }

    /// Nil for characters outside the alphabet, padding, or an impossible length.
    static func decode(_ text: some Collection<UInt8>) -> [UInt8]? {
        guard text.count % 4 != 1 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(text.count * 3 / 4)
        var buffer: UInt32 = 0
        var bits = 0
        let valid = values.withUnsafeBufferPointer { values in
            for character in text {
                let value = values[Int(character)]
                guard value != 0xFF else { return false }
                buffer = buffer << 6 | UInt32(value)
                bits += 6
                if bits >= 8 {
                    bits -= 8
                    out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
                }
            }
            return true
        }
        guard valid else { return nil }
        // Leftover bits must be zero, so that every token has one encoding only.
        guard buffer & ((1 << UInt32(bits)) - 1) == 0 else { return nil }
        return out
    }
}
