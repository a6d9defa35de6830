import Foundation
import Primitives

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
        let value = try state.decodeValue(type, source: .stream(cursor), path: .root)
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

/// Where a value's bytes come from. Eight bytes, so that a `WireValueDecoder` (state, path, source) fits an
/// existential's three-word inline buffer: `T(from: decoder)` then boxes nothing on the heap.
enum ValueSource {
    /// A field the message does not carry.
    case absent
    /// A tagged field whose extent is known: its index in `DecodingState.fields` (an entry of an enclosing
    /// message, below the mark its nested values trim back to, so it stays put while they are decoded).
    case field(Int32)
    /// Untagged bytes at a cursor: an array element or a message body.
    case stream(WireCursor)

    /// The field at `index` in `DecodingState.fields`, which `indexFields` keeps below `Int32.max` entries.
    static func field(at index: Int) -> ValueSource { .field(Int32(index)) }
}

/// Where a value sits in the message: an index into `DecodingState.nodes` (`root` for the message itself).
/// Containers carry this integer instead of an array of keys; the keys are put together only for errors and
/// `codingPath`.
struct DecodePath: Equatable {
    var node: Int32
    static let root = DecodePath(node: -1)
}

/// The buffer being decoded and a pool of field indexes, reused level by level.
final class DecodingState {
    let bytes: UnsafeRawBufferPointer
    let limits: WireLimits
    var fields: [FieldEntry] = []
    /// The key of each nested value being decoded and the path it sits under; trimmed like `fields`.
    var nodes: [(key: any CodingKey, parent: DecodePath)] = []
    var depth = 0

    init(bytes: UnsafeRawBufferPointer, limits: WireLimits) {
        self.bytes = bytes
        self.limits = limits
        // The index of a typical record and its nested values, instead of regrowing 1, 2, 4, 8, 16, 32.
        fields.reserveCapacity(32)
    }

    func decodeValue<T: Decodable>(
        _ type: T.Type, source: ValueSource, path: DecodePath
    ) throws -> T {
        if T.self == [UInt8].self {
            let range = try lengthRange(source, path)
            return Array(UnsafeRawBufferPointer(rebasing: bytes[range])) as! T
        }
        if T.self == Data.self {
            let range = try lengthRange(source, path)
            return Data(UnsafeRawBufferPointer(rebasing: bytes[range])) as! T
        }
        // Cheap gates first: the conditional-conformance casts behind them cost ~100 ns each.
        if case .stream(let cursor) = source, _isOptional(T.self),
            let optional = T.self as? any WireOptionalDecodable.Type
        {
            let presence = try readVarint(cursor, path)
            switch presence {
            case 0: return optional.wireMake(nil) as! T
            case 1:
                let wrapped = try decodeValue(optional.wireWrappedType, source: source, path: path)
                return optional.wireMake(wrapped) as! T
            default: throw corrupted(path, "Presence byte \(presence) is neither 0 nor 1")
            }
        }
        guard depth < limits.maxDepth else {
            throw corrupted(path, "Nesting deeper than \(limits.maxDepth) levels")
        }
        depth += 1
        let mark = fields.count
        let nodeMark = nodes.count
        defer {
            depth -= 1
            fields.removeLast(fields.count - mark)
            nodes.removeLast(nodes.count - nodeMark)
        }
        let decoder = WireValueDecoder(state: self, source: source, path: path)
        switch CollectionKinds.of(T.self) {
        case CollectionKinds.map:
            if let map = T.self as? any WireMapDecodable.Type { return try map.wireDecode(from: decoder) as! T }
        case CollectionKinds.array:
            // An array always reads its length first, so it never needs the empty-value marker below.
            if let array = T.self as? any WireArrayDecodable.Type { return try array.wireDecode(from: decoder) as! T }
        default: break
        }
        guard case .stream(let cursor) = source else {
            return try T(from: decoder)
        }
        let before = cursor.position
        let value = try T(from: decoder)
        if cursor.position == before {
            // A value that wrote nothing is marked by one zero byte.
            guard try readVarint(cursor, path) == 0 else {
                throw corrupted(path, "Expected the empty-value marker")
            }
        }
        return value
    }

    // MARK: Paths

    /// The path of the value stored under `key` in the value at `parent`.
    func push(_ key: any CodingKey, under parent: DecodePath) -> DecodePath {
        if nodes.capacity == 0 { nodes.reserveCapacity(8) }
        nodes.append((key, parent))
        // One node per nested value being decoded: far below Int32.max (each costs an existential of memory).
        return DecodePath(node: Int32(nodes.count - 1))
    }

    /// The coding path `path` stands for.
    func keys(_ path: DecodePath) -> [any CodingKey] {
        var keys: [any CodingKey] = []
        var node = Int(path.node)
        while node >= 0 {
            keys.append(nodes[node].key)
            node = Int(nodes[node].parent.node)
        }
        return keys.reversed()
    }

    // MARK: Primitive reads

    func corrupted(_ path: DecodePath, _ message: String, key: (any CodingKey)? = nil) -> DecodingError {
        .dataCorrupted(.init(codingPath: keys(path) + (key.map { [$0] } ?? []), debugDescription: message))
    }

    func missing(_ path: DecodePath) -> DecodingError {
        guard path != .root else { return corrupted(path, "Value is missing") }
        let node = nodes[Int(path.node)]
        return .keyNotFound(node.key, .init(codingPath: keys(node.parent), debugDescription: "Field is missing"))
    }

    /// Reads a varint at `position`, returning it and the position after it.
    @inline(__always)
    func varint(at position: Int, end: Int, _ path: DecodePath) throws -> (UInt64, Int) {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        var index = position
        while index < end {
            let byte = bytes[index]
            index += 1
            if shift == 63, byte > 1 {
                throw corrupted(path, "Varint overflows 64 bits")
            }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return (result, index) }
            shift += 7
            if shift > 63 { break }
        }
        throw corrupted(path, index >= end ? "Truncated varint" : "Varint longer than 10 bytes")
    }

    @inline(__always)
    func readVarint(_ cursor: WireCursor, _ path: DecodePath) throws -> UInt64 {
        let (value, next) = try varint(at: cursor.position, end: cursor.end, path)
        cursor.position = next
        return value
    }

    func varint(_ source: ValueSource, _ path: DecodePath) throws -> UInt64 {
        switch source {
        case .absent: throw missing(path)
        case .field(let index):
            let entry = fields[Int(index)]
            guard entry.type == .varint else { throw mismatch(entry, .varint, path) }
            return try varint(at: entry.start, end: entry.end, path).0
        case .stream(let cursor): return try readVarint(cursor, path)
        }
    }

    func fixed(_ width: Int, _ source: ValueSource, _ path: DecodePath) throws -> UInt64 {
        let start: Int
        switch source {
        case .absent: throw missing(path)
        case .field(let index):
            let entry = fields[Int(index)]
            let expected: WireType = width == 4 ? .fixed32 : .fixed64
            guard entry.type == expected else { throw mismatch(entry, expected, path) }
            start = entry.start
        case .stream(let cursor):
            guard cursor.end - cursor.position >= width else { throw corrupted(path, "Truncated fixed value") }
            start = cursor.position
            cursor.position += width
        }
        var value: UInt64 = 0
        for index in 0..<width { value |= UInt64(bytes[start + index]) << (8 * UInt64(index)) }
        return value
    }

    /// The payload range of a length-delimited value.
    func lengthRange(_ source: ValueSource, _ path: DecodePath) throws -> Range<Int> {
        switch source {
        case .absent: throw missing(path)
        case .field(let index):
            let entry = fields[Int(index)]
            guard entry.type == .length else { throw mismatch(entry, .length, path) }
            return entry.start..<entry.end
        case .stream(let cursor):
            let length = try readVarint(cursor, path)
            guard length <= UInt64(cursor.end - cursor.position) else {
                throw corrupted(path, "Length \(length) exceeds the \(cursor.end - cursor.position) bytes left")
            }
            let start = cursor.position
            cursor.position += Int(length)
            return start..<cursor.position
        }
    }

    // MARK: Typed reads. Concrete, so that call sites specialise; `key` only lengthens error paths, and is
    // an autoclosure so that no existential is made for it unless there is an error.

    func string(_ source: ValueSource, _ path: DecodePath, _ key: @autoclosure () -> (any CodingKey)? = nil) throws
        -> String
    {
        let range = try lengthRange(source, path)
        let utf8 = UnsafeRawBufferPointer(rebasing: bytes[range]).assumingMemoryBound(to: UInt8.self)
        guard let string = String(validatingUTF8Bytes: utf8) else {
            throw corrupted(path, "String is not valid UTF-8", key: key())
        }
        return string
    }

    func bool(_ source: ValueSource, _ path: DecodePath, _ key: @autoclosure () -> (any CodingKey)? = nil) throws
        -> Bool
    {
        switch try varint(source, path) {
        case 0: return false
        case 1: return true
        case let other: throw corrupted(path, "Bool must be 0 or 1, found \(other)", key: key())
        }
    }

    func signed<T: FixedWidthInteger & SignedInteger>(
        _ source: ValueSource, _ path: DecodePath, _ key: @autoclosure () -> (any CodingKey)? = nil
    ) throws -> T {
        let value = unzigzag(try varint(source, path))
        guard let result = T(exactly: value) else {
            throw corrupted(path, "\(value) does not fit \(T.self)", key: key())
        }
        return result
    }

    func unsigned<T: FixedWidthInteger & UnsignedInteger>(
        _ source: ValueSource, _ path: DecodePath, _ key: @autoclosure () -> (any CodingKey)? = nil
    ) throws -> T {
        let value = try varint(source, path)
        guard let result = T(exactly: value) else {
            throw corrupted(path, "\(value) does not fit \(T.self)", key: key())
        }
        return result
    }

    func double(_ source: ValueSource, _ path: DecodePath) throws -> Double {
        Double(bitPattern: try fixed(8, source, path))
    }

    func float(_ source: ValueSource, _ path: DecodePath) throws -> Float {
        Float(bitPattern: UInt32(truncatingIfNeeded: try fixed(4, source, path)))
    }

    private func mismatch(_ entry: FieldEntry, _ expected: WireType, _ path: DecodePath) -> DecodingError {
        corrupted(
            path, "Field \(entry.number) has wire type \(entry.type.rawValue), expected \(expected.rawValue)")
    }

    /// Indexes the fields of a message payload into the pool; returns the segment and whether it is sorted.
    func indexFields(_ range: Range<Int>, _ path: DecodePath) throws -> (Range<Int>, Bool) {
        let base = fields.count
        var position = range.lowerBound
        var sorted = true
        var last = -1
        while position < range.upperBound {
            let (tag, afterTag) = try varint(at: position, end: range.upperBound, path)
            guard tag >> 3 < (1 << 29) else { throw corrupted(path, "Field number out of range") }
            // Sources name a field by an Int32 index (`ValueSource.field(at:)`).
            guard fields.count < Int(Int32.max) else { throw corrupted(path, "More than 2^31 fields to index") }
            let number = Int(tag >> 3)
            guard let type = WireType(rawValue: UInt8(tag & 7)) else {
                throw corrupted(path, "Field \(number) has unknown wire type \(tag & 7)")
            }
            var start = afterTag
            let end: Int
            switch type {
            case .varint: end = try varint(at: afterTag, end: range.upperBound, path).1
            case .fixed32: end = afterTag + 4
            case .fixed64: end = afterTag + 8
            case .length:
                let (length, afterLength) = try varint(at: afterTag, end: range.upperBound, path)
                guard length <= UInt64(range.upperBound - afterLength) else {
                    throw corrupted(path, "Field \(number) claims \(length) bytes; the message has fewer")
                }
                start = afterLength
                end = afterLength + Int(length)
            }
            guard end <= range.upperBound else { throw corrupted(path, "Field \(number) is truncated") }
            if number <= last { sorted = false }
            last = number
            fields.append(FieldEntry(number: number, type: type, start: start, end: end))
            position = end
        }
        return (base..<fields.count, sorted)
    }

    /// Where the last lookup found its field: `init(from:)` usually asks for fields in the order they were
    /// written, so the next one is tried first.
    private var lastFound = 0

    /// The first field with `number` in a segment, as a source (`.absent` when there is none).
    func lookup(_ number: Int, in segment: Range<Int>, sorted: Bool) -> ValueSource {
        let next = lastFound + 1
        // A sorted segment has each number once (`indexFields` calls repeats unsorted).
        if sorted, segment.contains(next), fields[next].number == number {
            lastFound = next
            return .field(at: next)
        }
        if sorted {
            var low = segment.lowerBound
            var high = segment.upperBound
            while low < high {
                let mid = (low + high) / 2
                if fields[mid].number < number { low = mid + 1 } else { high = mid }
            }
            guard low < segment.upperBound, fields[low].number == number else { return .absent }
            lastFound = low
            return .field(at: low)
        }
        for index in segment where fields[index].number == number { return .field(at: index) }
        return .absent
    }
}
