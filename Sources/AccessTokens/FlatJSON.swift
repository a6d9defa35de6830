import Primitives

/// A parser for one flat JSON object (string keys; string, number, boolean or null values), which is
/// all a JWT header or payload holds. Verifying tokens must be cheap; Foundation's JSONDecoder is not.
enum FlatJSON {
    enum Value: Equatable {
        case string(String)
        case number(Double)
        case bool(Bool)
        case null
    }

    /// Nil for anything that is not one flat object of at most 64 members, or with a key twice.
    static func parse(_ bytes: [UInt8]) -> [String: Value]? {
        var members: [String: Value] = [:]
        let parsed = bytes.withUnsafeBufferPointer { bytes in
            visit(bytes) { key, value in
                members.updateValue(value, forKey: String(decoding: key, as: UTF8.self)) == nil
            }
        }
        return parsed ? members : nil
    }

    /// Calls `member` with each key (raw UTF-8, escapes not allowed) and value; false when the text is not
    /// one flat object or `member` returns false. Builds no dictionary, for the hot path.
    static func visit(_ bytes: UnsafeBufferPointer<UInt8>, _ member: (UnsafeBufferPointer<UInt8>, Value) -> Bool)
        -> Bool
    {
        var parser = Parser(bytes: bytes)
        return parser.object(member)
    }

    private struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        mutating func object(_ member: (UnsafeBufferPointer<UInt8>, Value) -> Bool) -> Bool {
            skipSpace()
            guard take(UInt8(ascii: "{")) else { return false }
            skipSpace()
            if take(UInt8(ascii: "}")) { return finished() }
            var count = 0
            while count < 64 {
                skipSpace()
                guard let key = rawKey() else { return false }
                skipSpace()
                guard take(UInt8(ascii: ":")) else { return false }
                skipSpace()
                guard let value = value(), member(key, value) else { return false }
                count += 1
                skipSpace()
                if take(UInt8(ascii: "}")) { return finished() }
                guard take(UInt8(ascii: ",")) else { return false }
            }
            return false
        }

        private mutating func finished() -> Bool {
            skipSpace()
            return index == bytes.count
        }

        /// A key without escapes, as the bytes between its quotes.
        private mutating func rawKey() -> UnsafeBufferPointer<UInt8>? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = index
            while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                guard bytes[index] != UInt8(ascii: "\\"), bytes[index] >= 0x20 else { return nil }
                index += 1
            }
            guard index < bytes.count else { return nil }
            index += 1
            return UnsafeBufferPointer(rebasing: bytes[start..<index - 1])
        }

        private mutating func value() -> Value? {
            guard index < bytes.count else { return nil }
            switch bytes[index] {
            case UInt8(ascii: "\""): return string().map(Value.string)
            case UInt8(ascii: "t"): return literal("true") ? .bool(true) : nil
            case UInt8(ascii: "f"): return literal("false") ? .bool(false) : nil
            case UInt8(ascii: "n"): return literal("null") ? .null : nil
            default: return number().map(Value.number)
            }
        }

        private mutating func number() -> Double? {
            // Integers (every number a token holds) without going through text.
            var cursor = index
            let negative = cursor < bytes.count && bytes[cursor] == UInt8(ascii: "-")
            if negative { cursor += 1 }
            var value = 0
            var digits = 0
            while cursor < bytes.count, digits < 16, bytes[cursor] >= UInt8(ascii: "0"),
                bytes[cursor] <= UInt8(ascii: "9")
            {
                value = value * 10 + Int(bytes[cursor] - UInt8(ascii: "0"))
                digits += 1
                cursor += 1
            }
            let ended =
                cursor == bytes.count
                || !(bytes[cursor] == UInt8(ascii: ".") || bytes[cursor] == UInt8(ascii: "e")
                    || bytes[cursor] == UInt8(ascii: "E")
                    || (bytes[cursor] >= UInt8(ascii: "0") && bytes[cursor] <= UInt8(ascii: "9")))
            if digits > 0, ended, !(digits > 1 && bytes[index + (negative ? 1 : 0)] == UInt8(ascii: "0")) {
                index = cursor
                return Double(negative ? -value : value)
            }
            let start = index
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."),
                    UInt8(ascii: "e"), UInt8(ascii: "E"):
                    index += 1
                    continue
                default: break
                }
                break
            }
            guard index > start, index - start <= 32 else { return nil }
            return Double(String(decoding: bytes[start..<index], as: UTF8.self))
        }

        private mutating func string() -> String? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            // Most strings have no escape: take them in one piece.
            var end = index
            while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\"),
                bytes[end] >= 0x20
            {
                end += 1
            }
            if end < bytes.count, bytes[end] == UInt8(ascii: "\"") {
                defer { index = end + 1 }
                return String(validatingUTF8Bytes: UnsafeBufferPointer(rebasing: bytes[index..<end]))
            }
            var out = [UInt8]()
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""): return out.withUnsafeBufferPointer { String(validatingUTF8Bytes: $0) }
                case UInt8(ascii: "\\"):
                    guard index < bytes.count else { return nil }
                    let escape = bytes[index]
                    index += 1
                    switch escape {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                    case UInt8(ascii: "b"): out.append(8)
                    case UInt8(ascii: "f"): out.append(12)
                    case UInt8(ascii: "n"): out.append(10)
                    case UInt8(ascii: "r"): out.append(13)
                    case UInt8(ascii: "t"): out.append(9)
                    case UInt8(ascii: "u"):
                        guard index + 4 <= bytes.count,
                            let code = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16),
                            let scalar = Unicode.Scalar(code)
                        else { return nil }
                        index += 4
                        out.append(contentsOf: Array(String(Character(scalar)).utf8))
                    default: return nil
                    }
                case 0..<0x20: return nil
                default: out.append(byte)
                }
            }
            return nil
        }

        private mutating func literal(_ word: String) -> Bool {
            let utf8 = Array(word.utf8)
            guard index + utf8.count <= bytes.count, bytes[index..<index + utf8.count].elementsEqual(utf8) else {
                return false
            }
            index += utf8.count
            return true
        }

        private mutating func take(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        private mutating func skipSpace() {
            while index < bytes.count,
                bytes[index] == 0x20 || bytes[index] == 0x09 || bytes[index] == 0x0A || bytes[index] == 0x0D
            {
                index += 1
            }
        }
    }
}
