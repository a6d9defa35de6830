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
        Array(text).withUnsafeBufferPointer { text in
            var valid = false
            let out = [UInt8](unsafeUninitializedCapacity: max(1, text.count * 3 / 4)) { out, count in
                let written = decode(text, into: out.baseAddress!)
                valid = written != nil
                count = written ?? 0
            }
            return valid ? out : nil
        }
    }

    /// Decodes `text` into `output` (room for `text.count * 3 / 4` bytes) and returns the bytes written;
    /// nil for characters outside the alphabet, padding, an impossible length, or nonzero leftover bits
    /// (so that every token has one encoding only). Four characters at a time.
    static func decode(_ text: UnsafeBufferPointer<UInt8>, into output: UnsafeMutablePointer<UInt8>) -> Int? {
        guard text.count % 4 != 1 else { return nil }
        return values.withUnsafeBufferPointer { values -> Int? in
            var written = 0
            var index = 0
            var invalid: UInt32 = 0
            while index + 4 <= text.count {
                let a = UInt32(values[Int(text[index])])
                let b = UInt32(values[Int(text[index + 1])])
                let c = UInt32(values[Int(text[index + 2])])
                let d = UInt32(values[Int(text[index + 3])])
                invalid |= a | b | c | d
                let bits = a << 18 | b << 12 | c << 6 | d
                output[written] = UInt8(truncatingIfNeeded: bits >> 16)
                output[written + 1] = UInt8(truncatingIfNeeded: bits >> 8)
                output[written + 2] = UInt8(truncatingIfNeeded: bits)
                written += 3
                index += 4
            }
            // 0xFF marks characters outside the alphabet; every valid value is below 64.
            guard invalid & 0xC0 == 0 else { return nil }
            var buffer: UInt32 = 0
            var bits = 0
            while index < text.count {
                let value = values[Int(text[index])]
                guard value != 0xFF else { return nil }
                buffer = buffer << 6 | UInt32(value)
                bits += 6
                if bits >= 8 {
                    bits -= 8
                    output[written] = UInt8(truncatingIfNeeded: buffer >> UInt32(bits))
                    written += 1
                }
                index += 1
            }
            guard buffer & ((1 << UInt32(bits)) - 1) == 0 else { return nil }
            return written
        }
    }
}
