#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

/// An IPv4 or IPv6 address as bytes, parsed from the spellings a URL host or a resolver can give.
public enum IPAddress: Hashable, Sendable, CustomStringConvertible {
    case v4(UInt32)
    case v6([UInt8])

    /// A numeric host as the C library would take it: IPv6 (with or without brackets; zone ids refused)
    /// or IPv4 in any of inet_aton's legacy forms (`127.1`, `0x7f000001`, `2130706433`, `0177.0.0.1`),
    /// with trailing dots removed. Nil for a name.
    public init?(host: String) {
        var text = Substring(host)
        while text.hasSuffix(".") { text = text.dropLast() }
        if text.hasPrefix("["), text.hasSuffix("]") { text = text.dropFirst().dropLast() }
        guard !text.isEmpty, text.utf8.count <= 64 else { return nil }
        if text.contains(":") {
            guard !text.contains("%") else { return nil }
            var bytes = in6_addr()
            guard inet_pton(AF_INET6, String(text), &bytes) == 1 else { return nil }
            self = .v6(withUnsafeBytes(of: &bytes) { Array($0) })
            return
        }
        // Only hex digits, x and dots can spell a number; anything else is a name.
        guard text.unicodeScalars.allSatisfy({ $0 == "." || $0 == "x" || $0 == "X" || $0.properties.isASCIIHexDigit })
        else { return nil }
        guard let value = Self.legacyIPv4(text) else { return nil }
        self = .v4(value)
    }

    /// inet_aton's grammar: one to four parts, each decimal, octal (leading 0) or hex (0x); the last part
    /// fills the remaining bytes.
    public static func legacyIPv4(_ text: Substring) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...4).contains(parts.count) else { return nil }
        var values: [UInt64] = []
        for part in parts {
            var digits = Substring(part)
            var radix: UInt64 = 10
            if digits.lowercased().hasPrefix("0x") {
                radix = 16
                digits = digits.dropFirst(2)
            } else if digits.count > 1, digits.hasPrefix("0") {
                radix = 8
                digits = digits.dropFirst()
            }
            guard !digits.isEmpty, digits.count <= 32 else { return nil }
            var value: UInt64 = 0
            for character in digits {
                guard let digit = character.hexDigitValue, UInt64(digit) < radix else { return nil }
                value = value * radix + UInt64(digit)
                guard value <= UInt64(UInt32.max) else { return nil }
            }
            values.append(value)
        }
        var address: UInt64 = 0
        for (index, value) in values.enumerated() {
            let last = index == values.count - 1
            if last {
                let bits = UInt64(8 * (4 - index))
                guard bits == 64 ? true : value < (1 << bits) else { return nil }
                address |= value
            } else {
                guard value <= 255 else { return nil }
                address |= value << UInt64(8 * (3 - index))
            }
        }
        return UInt32(truncatingIfNeeded: address)
    }

    /// The address a resolver returned.
    public init?(socketAddress: UnsafePointer<sockaddr>) {
        switch Int32(socketAddress.pointee.sa_family) {
        case AF_INET:
            let address = socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
            self = .v4(UInt32(bigEndian: address.s_addr))
        case AF_INET6:
            var address = socketAddress.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
            self = .v6(withUnsafeBytes(of: &address) { Array($0) })
        default:
            return nil
        }
    }

    /// The IPv4 address inside an IPv4-mapped IPv6 one (`::ffff:a.b.c.d`), else self.
    public var unmapped: IPAddress {
        if case .v6(let bytes) = self, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff {
            return .v4(bytes[12..<16].reduce(0) { $0 << 8 | UInt32($1) })
        }
        return self
    }

    public var description: String {
        switch self {
        case .v4(let value):
            return [24, 16, 8, 0].map { String((value >> UInt32($0)) & 0xff) }.joined(separator: ".")
        case .v6(var bytes):
            var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            _ = bytes.withUnsafeMutableBytes { inet_ntop(AF_INET6, $0.baseAddress, &text, socklen_t(text.count)) }
            return String(cString: text)
        }
    }
}
