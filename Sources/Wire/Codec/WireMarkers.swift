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

/// An unconditional conformance, so that "is this a dictionary?" needs no conditional-conformance check.
protocol WireMapMarker {}

extension Dictionary: WireMapMarker {}

/// Whether a type is a `Dictionary`, remembered per type: the codec asks for every nested value, and the
/// runtime's conformance lookup behind `is` (a hash-table search, ~5 % of encoding a typical record) costs
/// far more than this one load.
enum MapTypes {
    /// Direct-mapped by metadata address; each slot holds the address with bit 0 set for a dictionary.
    /// A collision only costs a fresh lookup; one word per slot keeps address and answer together.
    private static let slots = InlineArray<64, Atomic<UInt>> { _ in Atomic(0) }

    static func contains(_ type: Any.Type) -> Bool {
        let address = UInt(bitPattern: ObjectIdentifier(type))
        let slot = Int(truncatingIfNeeded: (address >> 4 ^ address >> 10) & 63)
        let entry = slots[slot].load(ordering: .relaxed)
        if entry & ~1 == address { return entry & 1 != 0 }
        let isMap = type is any WireMapMarker.Type
        slots[slot].store(address | (isMap ? 1 : 0), ordering: .relaxed)
        return isMap
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
