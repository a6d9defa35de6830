import Foundation

/// Decodes any `Decodable` value from Wire's binary format (see docs/wire.md).
public struct WireDecoder: Sendable {
    /// Depth and count limits checked before anything is allocated.
    public var limits: WireLimits

    public init(limits: WireLimits = WireLimits()) {
        self.limits = limits
    }

    public func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try bytes.withUnsafeBytes { try decode(type, from: $0) }
    }

    /// Decodes a whole message body; bytes left after the value are an error.
    public func decode<T: Decodable>(_ type: T.Type, from buffer: UnsafeRawBufferPointer) throws -> T {
        let state = DecodingState(bytes: buffer, limits: limits)
        let cursor = WireCursor(position: 0, end: buffer.count)
        let value = try state.decodeValue(type, source: .stream(cursor), codingPath: [])
        guard cursor.position == cursor.end else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: [], debugDescription: "\(cursor.end - cursor.position) bytes after the message"))
        }
        return value
    }
}

/// The bytes of one tagged field; for `.length` the range is the payload without its length.
struct FieldEntry {
    var number: Int
    var type: WireType
    var start: Int
    var end: Int
}

/// A read position shared by an array and the decoders of its elements.
final class WireCursor {
    var position: Int
    let end: Int

    init(position: Int, end: Int) {
        self.position = position
        self.end = end
    }
}

/// Where a value's bytes come from.
enum ValueSource {
    /// A field the message does not carry.
    case absent
    /// A tagged field whose extent is known.
    case field(FieldEntry)
    /// Untagged bytes at a cursor: an array element or a message body.
    case stream(WireCursor)
}

/// The buffer being decoded and a pool of field indexes, reused level by level.
final class DecodingState {
    let bytes: UnsafeRawBufferPointer
    let limits: WireLimits
    var fields: [FieldEntry] = []
    var depth = 0

    init(bytes: UnsafeRawBufferPointer, limits: WireLimits) {
        self.bytes = bytes
        self.limits = limits
        // The index of a typical record and its nested values, instead of regrowing 1, 2, 4, 8, 16, 32.
        fields.reserveCapacity(32)
    }

    func decodeValue<T: Decodable>(
        _ type: T.Type, source: ValueSource, codingPath: [any CodingKey]
    ) throws -> T {
        if T.self == [UInt8].self {
            let range = try lengthRange(source, codingPath)
            return Array(UnsafeRawBufferPointer(rebasing: bytes[range])) as! T
        }
        if T.self == Data.self {
            let range = try lengthRange(source, codingPath)
            return Data(UnsafeRawBufferPointer(rebasing: bytes[range])) as! T
        }
        // Cheap gates first: the conditional-conformance casts behind them cost ~100 ns each.
        if case .stream(let cursor) = source, _isOptional(T.self),
            let optional = T.self as? any WireOptionalDecodable.Type
        {
            let presence = try readVarint(cursor, codingPath)
            switch presence {
            case 0: return optional.wireMake(nil) as! T
            case 1:
                let wrapped = try decodeValue(optional.wireWrappedType, source: source, codingPath: codingPath)
                return optional.wireMake(wrapped) as! T
            default: throw corrupted(codingPath, "Presence byte \(presence) is neither 0 nor 1")
            }
        }
        guard depth < limits.maxDepth else {
            throw corrupted(codingPath, "Nesting deeper than \(limits.maxDepth) levels")
        }
        depth += 1
        let mark = fields.count
        defer {
            depth -= 1
            fields.removeLast(fields.count - mark)
        }
        let decoder = WireValueDecoder(state: self, source: source, codingPath: codingPath)
        if MapTypes.contains(T.self), let map = T.self as? any WireMapDecodable.Type {
            return try map.wireDecode(from: decoder) as! T
        }
        guard case .stream(let cursor) = source else {
            return try T(from: decoder)
        }
        let before = cursor.position
        let value = try T(from: decoder)
        if cursor.position == before {
            // A value that wrote nothing is marked by one zero byte.
            guard try readVarint(cursor, codingPath) == 0 else {
                throw corrupted(codingPath, "Expected the empty-value marker")
            }
        }
        return value
    }

    // MARK: Primitive reads

    func corrupted(_ codingPath: [any CodingKey], _ message: String) -> DecodingError {
        .dataCorrupted(.init(codingPath: codingPath, debugDescription: message))
    }

    func missing(_ codingPath: [any CodingKey]) -> DecodingError {
        guard let key = codingPath.last else {
            return corrupted(codingPath, "Value is missing")
        }
        return .keyNotFound(key, .init(codingPath: codingPath.dropLast(), debugDescription: "Field is missing"))
    }

    /// Reads a varint at `position`, returning it and the position after it.
    @inline(__always)
    func varint(at position: Int, end: Int, _ codingPath: [any CodingKey]) throws -> (UInt64, Int) {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        var index = position
        while index < end {
            let byte = bytes[index]
            index += 1
            if shift == 63, byte > 1 {
                throw corrupted(codingPath, "Varint overflows 64 bits")
            }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return (result, index) }
            shift += 7
            if shift > 63 { break }
        }
        throw corrupted(codingPath, index >= end ? "Truncated varint" : "Varint longer than 10 bytes")
    }

    @inline(__always)
    func readVarint(_ cursor: WireCursor, _ codingPath: [any CodingKey]) throws -> UInt64 {
        let (value, next) = try varint(at: cursor.position, end: cursor.end, codingPath)
        cursor.position = next
        return value
    }

    func varint(_ source: ValueSource, _ codingPath: [any CodingKey]) throws -> UInt64 {
        switch source {
        case .absent: throw missing(codingPath)
        case .field(let entry):
            guard entry.type == .varint else { throw mismatch(entry, .varint, codingPath) }
            return try varint(at: entry.start, end: entry.end, codingPath).0
        case .stream(let cursor): return try readVarint(cursor, codingPath)
        }
    }

    func fixed(_ width: Int, _ source: ValueSource, _ codingPath: [any CodingKey]) throws -> UInt64 {
        let start: Int
        switch source {
        case .absent: throw missing(codingPath)
        case .field(let entry):
            let expected: WireType = width == 4 ? .fixed32 : .fixed64
            guard entry.type == expected else { throw mismatch(entry, expected, codingPath) }
            start = entry.start
        case .stream(let cursor):
            guard cursor.end - cursor.position >= width else { throw corrupted(codingPath, "Truncated fixed value") }
            start = cursor.position
            cursor.position += width
        }
        var value: UInt64 = 0
        for index in 0..<width { value |= UInt64(bytes[start + index]) << (8 * UInt64(index)) }
        return value
    }

    /// The payload range of a length-delimited value.
    func lengthRange(_ source: ValueSource, _ codingPath: [any CodingKey]) throws -> Range<Int> {
        switch source {
        case .absent: throw missing(codingPath)
        case .field(let entry):
            guard entry.type == .length else { throw mismatch(entry, .length, codingPath) }
            return entry.start..<entry.end
        case .stream(let cursor):
            let length = try readVarint(cursor, codingPath)
            guard length <= UInt64(cursor.end - cursor.position) else {
                throw corrupted(codingPath, "Length \(length) exceeds the \(cursor.end - cursor.position) bytes left")
            }
            let start = cursor.position
            cursor.position += Int(length)
            return start..<cursor.position
        }
    }

    // MARK: Typed reads. Concrete, so that call sites specialise; `key` only lengthens error paths.

    @inline(__always)
    private func path(_ codingPath: [any CodingKey], _ key: (any CodingKey)?) -> [any CodingKey] {
        key.map { codingPath + [$0] } ?? codingPath
    }

    func string(_ source: ValueSource, _ codingPath: [any CodingKey], _ key: (any CodingKey)? = nil) throws -> String {
        let range = try lengthRange(source, codingPath)
        let utf8 = UnsafeRawBufferPointer(rebasing: bytes[range]).assumingMemoryBound(to: UInt8.self)
        guard let string = String(validatingUTF8Bytes: utf8) else {
            throw corrupted(path(codingPath, key), "String is not valid UTF-8")
        }
        return string
    }

    func bool(_ source: ValueSource, _ codingPath: [any CodingKey], _ key: (any CodingKey)? = nil) throws -> Bool {
        switch try varint(source, codingPath) {
        case 0: return false
        case 1: return true
        case let other: throw corrupted(path(codingPath, key), "Bool must be 0 or 1, found \(other)")
        }
    }

    func signed<T: FixedWidthInteger & SignedInteger>(
        _ source: ValueSource, _ codingPath: [any CodingKey], _ key: (any CodingKey)? = nil
    ) throws -> T {
        let value = unzigzag(try varint(source, codingPath))
        guard let result = T(exactly: value) else {
            throw corrupted(path(codingPath, key), "\(value) does not fit \(T.self)")
        }
        return result
    }

    func unsigned<T: FixedWidthInteger & UnsignedInteger>(
        _ source: ValueSource, _ codingPath: [any CodingKey], _ key: (any CodingKey)? = nil
    ) throws -> T {
        let value = try varint(source, codingPath)
        guard let result = T(exactly: value) else {
            throw corrupted(path(codingPath, key), "\(value) does not fit \(T.self)")
        }
        return result
    }

    func double(_ source: ValueSource, _ codingPath: [any CodingKey]) throws -> Double {
        Double(bitPattern: try fixed(8, source, codingPath))
    }

    func float(_ source: ValueSource, _ codingPath: [any CodingKey]) throws -> Float {
        Float(bitPattern: UInt32(truncatingIfNeeded: try fixed(4, source, codingPath)))
    }

    private func mismatch(_ entry: FieldEntry, _ expected: WireType, _ codingPath: [any CodingKey]) -> DecodingError {
        corrupted(
            codingPath, "Field \(entry.number) has wire type \(entry.type.rawValue), expected \(expected.rawValue)")
    }

    /// Indexes the fields of a message payload into the pool; returns the segment and whether it is sorted.
    func indexFields(_ range: Range<Int>, _ codingPath: [any CodingKey]) throws -> (Range<Int>, Bool) {
        let base = fields.count
        var position = range.lowerBound
        var sorted = true
        var last = -1
        while position < range.upperBound {
            let (tag, afterTag) = try varint(at: position, end: range.upperBound, codingPath)
            guard tag >> 3 < (1 << 29) else { throw corrupted(codingPath, "Field number out of range") }
            let number = Int(tag >> 3)
            guard let type = WireType(rawValue: UInt8(tag & 7)) else {
                throw corrupted(codingPath, "Field \(number) has unknown wire type \(tag & 7)")
            }
            var start = afterTag
            let end: Int
            switch type {
            case .varint: end = try varint(at: afterTag, end: range.upperBound, codingPath).1
            case .fixed32: end = afterTag + 4
            case .fixed64: end = afterTag + 8
            case .length:
                let (length, afterLength) = try varint(at: afterTag, end: range.upperBound, codingPath)
                guard length <= UInt64(range.upperBound - afterLength) else {
                    throw corrupted(codingPath, "Field \(number) claims \(length) bytes; the message has fewer")
                }
                start = afterLength
                end = afterLength + Int(length)
            }
            guard end <= range.upperBound else { throw corrupted(codingPath, "Field \(number) is truncated") }
            if number <= last { sorted = false }
            last = number
            fields.append(FieldEntry(number: number, type: type, start: start, end: end))
            position = end
        }
        return (base..<fields.count, sorted)
    }

    /// The first field with `number` in a segment.
    func lookup(_ number: Int, in segment: Range<Int>, sorted: Bool) -> FieldEntry? {
        if sorted {
            var low = segment.lowerBound
            var high = segment.upperBound
            while low < high {
                let mid = (low + high) / 2
                if fields[mid].number < number { low = mid + 1 } else { high = mid }
            }
            return low < segment.upperBound && fields[low].number == number ? fields[low] : nil
        }
        for index in segment where fields[index].number == number { return fields[index] }
        return nil
    }
}
