import Synchronization

/// Lets the codec see through `Optional` inside arrays, where a presence byte marks nil.
protocol WireOptionalEncodable {
    var wireWrapped: (any Encodable)? { get }
}

protocol WireOptionalDecodable {
    static var wireWrappedType: any Decodable.Type { get }
    static func wireMake(_ wrapped: Any?) -> Self
}

extension Optional: WireOptionalEncodable where Wrapped: Encodable {
    var wireWrapped: (any Encodable)? { self }
}

extension Optional: WireOptionalDecodable where Wrapped: Decodable {
    static var wireWrappedType: any Decodable.Type { Wrapped.self }
    static func wireMake(_ wrapped: Any?) -> Self { wrapped.map { $0 as! Wrapped } }
}

/// One entry of a map: key is field 1, value is field 2 (the layout protobuf uses for maps).
struct WireMapEntry<Key, Value> {
    var key: Key
    var value: Value

    enum CodingKeys: Int, CodingKey {
        case key = 1
        case value = 2
    }
}

extension WireMapEntry: Encodable where Key: Encodable, Value: Encodable {}
extension WireMapEntry: Decodable where Key: Decodable, Value: Decodable {}

/// Unconditional conformances, so that "is this a dictionary / an array?" needs no conditional-conformance
/// check.
protocol WireMapMarker {}
protocol WireArrayMarker {}

extension Dictionary: WireMapMarker {}
extension Array: WireArrayMarker {}

/// Whether a type is a `Dictionary` or an `Array`, remembered per type: the codec asks for every nested
/// value, and the runtime's conformance lookup behind `is` (a hash-table search, ~5 % of encoding a typical
/// record) costs far more than this one load.
enum CollectionKinds {
    static let map: UInt = 1
    static let array: UInt = 2

    /// Direct-mapped by metadata address (metadata is at least 8-byte aligned); each slot holds the address
    /// with the kind in its low two bits. A collision only costs a fresh lookup; one word per slot keeps
    /// address and answer together.
    private static let slots = InlineArray<64, Atomic<UInt>> { _ in Atomic(0) }

    /// `map`, `array` or 0.
    static func of(_ type: Any.Type) -> UInt {
        let address = UInt(bitPattern: ObjectIdentifier(type))
        let slot = Int(truncatingIfNeeded: (address >> 4 ^ address >> 10) & 63)
        let entry = slots[slot].load(ordering: .relaxed)
        if entry & ~3 == address { return entry & 3 }
        let kind = type is any WireMapMarker.Type ? map : type is any WireArrayMarker.Type ? array : 0
        slots[slot].store(address | kind, ordering: .relaxed)
        return kind
    }
}

/// Dictionaries travel as an array of entries whatever their key type.
protocol WireMapEncodable {
    var wireEntries: any Encodable { get }
}

protocol WireMapDecodable {
    static func wireDecode(from decoder: any Decoder) throws -> Self
}

extension Dictionary: WireMapEncodable where Key: Encodable, Value: Encodable {
    var wireEntries: any Encodable { map { WireMapEntry(key: $0.key, value: $0.value) } }
}

extension Dictionary: WireMapDecodable where Key: Decodable, Value: Decodable {
    static func wireDecode(from decoder: any Decoder) throws -> Self {
        let entries = try [WireMapEntry<Key, Value>](from: decoder)
        return try Dictionary(entries.map { ($0.key, $0.value) }) { _, _ in
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "Map has a duplicate key"))
        }
    }
}

/// Arrays decode with their declared element count reserved (stdlib's `Array.init(from:)` grows one element
/// at a time) and call the concrete unkeyed container directly. Element by element the result is what
/// `Array.init(from:)` gives.
protocol WireArrayDecodable {
    static func wireDecode(from decoder: WireValueDecoder) throws -> Self
}

extension Array: WireArrayDecodable where Element: Decodable {
    static func wireDecode(from decoder: WireValueDecoder) throws -> Self {
        var container = try decoder.concreteUnkeyedContainer()
        var elements: [Element] = []
        // The count is checked against the bytes left, but an element of one byte can stand for a large
        // value: reserve at most 16 MiB up front and let a bigger array grow as its elements decode.
        let budget = (16 << 20) / Swift.max(1, MemoryLayout<Element>.stride)
        elements.reserveCapacity(Swift.min(container.declaredCount, budget))
        while !container.isAtEnd { elements.append(try container.decode(Element.self)) }
        return elements
    }
}
