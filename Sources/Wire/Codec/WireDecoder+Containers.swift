/// The `Decoder` handed to one value's `init(from:)`.
struct WireValueDecoder: Decoder {
    let state: DecodingState
    // `path` before `source`: in this order the struct is 24 bytes, an existential's inline buffer.
    let path: DecodePath
    let source: ValueSource

    init(state: DecodingState, source: ValueSource, path: DecodePath) {
        self.state = state
        self.path = path
        self.source = source
    }
    var codingPath: [any CodingKey] { state.keys(path) }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        let range = try state.lengthRange(source, path)
        let (segment, sorted) = try state.indexFields(range, path)
        return KeyedDecodingContainer(
            WireKeyedDecoding<Key>(state: state, segment: segment, sorted: sorted, path: path))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try concreteUnkeyedContainer()
    }

    func concreteUnkeyedContainer() throws -> WireUnkeyedDecoding {
        try WireUnkeyedDecoding(state: state, range: state.lengthRange(source, path), path: path)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        WireSingleValueDecoding(state: state, source: source, path: path)
    }
}

struct WireKeyedDecoding<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let state: DecodingState
    let segment: Range<Int>
    let sorted: Bool
    let path: DecodePath
    var codingPath: [any CodingKey] { state.keys(path) }

    var allKeys: [Key] {
        segment.compactMap { Key(intValue: state.fields[$0].number) }
    }

    private func entry(_ key: Key) -> ValueSource {
        guard let number = key.intValue else { return .absent }
        return state.lookup(number, in: segment, sorted: sorted)
    }

    private func source(_ key: Key) throws -> ValueSource {
        guard let number = key.intValue else {
            throw DecodingError.keyNotFound(
                key,
                .init(codingPath: codingPath, debugDescription: "Wire needs integer field numbers (CodingKeys: Int)"))
        }
        let source = state.lookup(number, in: segment, sorted: sorted)
        if case .absent = source {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "Field is missing"))
        }
        return source
    }

    func contains(_ key: Key) -> Bool {
        if case .absent = entry(key) { return false }
        return true
    }
    func decodeNil(forKey key: Key) throws -> Bool { !contains(key) }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try state.bool(source(key), path, key) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String {
        try state.string(source(key), path, key)
    }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double {
        try state.double(source(key), path)
    }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try state.float(source(key), path) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try state.signed(source(key), path, key) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try state.signed(source(key), path, key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 {
        try state.signed(source(key), path, key)
    }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 {
        try state.signed(source(key), path, key)
    }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 {
        try state.signed(source(key), path, key)
    }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt {
        try state.unsigned(source(key), path, key)
    }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 {
        try state.unsigned(source(key), path, key)
    }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 {
        try state.unsigned(source(key), path, key)
    }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 {
        try state.unsigned(source(key), path, key)
    }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 {
        try state.unsigned(source(key), path, key)
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try state.decodeValue(type, source: entry(key), path: state.push(key, under: path))
    }

    func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type, forKey key: Key
    ) throws -> KeyedDecodingContainer<NestedKey> {
        try WireValueDecoder(state: state, source: source(key), path: state.push(key, under: path)).container(
            keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try WireValueDecoder(state: state, source: source(key), path: state.push(key, under: path)).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        WireValueDecoder(state: state, source: state.lookup(0, in: segment, sorted: sorted), path: path)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        WireValueDecoder(state: state, source: entry(key), path: state.push(key, under: path))
    }
}

struct WireUnkeyedDecoding: UnkeyedDecodingContainer {
    let state: DecodingState
    let path: DecodePath
    var codingPath: [any CodingKey] { state.keys(path) }
    let cursor: WireCursor
    let count: Int?
    private(set) var currentIndex = 0

    init(state: DecodingState, range: Range<Int>, path: DecodePath) throws {
        self.state = state
        self.path = path
        let (declared, start) = try state.varint(at: range.lowerBound, end: range.upperBound, path)
        // Every element takes at least one byte, so a count above the bytes left is a lie.
        guard declared <= UInt64(range.upperBound - start), declared <= UInt64(state.limits.maxCount) else {
            throw state.corrupted(
                path, "Array declares \(declared) elements in \(range.upperBound - start) bytes")
        }
        self.count = Int(declared)
        self.cursor = WireCursor(position: start, end: range.upperBound)
    }

    var isAtEnd: Bool { currentIndex >= count! }
    var declaredCount: Int { count! }

    private mutating func next() throws -> ValueSource {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(
                Any.self, .init(codingPath: codingPath, debugDescription: "Array has no more elements"))
        }
        currentIndex += 1
        return .stream(cursor)
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, cursor.position < cursor.end, state.bytes[cursor.position] == 0 else { return false }
        cursor.position += 1
        currentIndex += 1
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try state.bool(next(), path) }
    mutating func decode(_ type: String.Type) throws -> String { try state.string(next(), path) }
    mutating func decode(_ type: Double.Type) throws -> Double { try state.double(next(), path) }
    mutating func decode(_ type: Float.Type) throws -> Float { try state.float(next(), path) }
    mutating func decode(_ type: Int.Type) throws -> Int { try state.signed(next(), path) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try state.signed(next(), path) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try state.signed(next(), path) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try state.signed(next(), path) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try state.signed(next(), path) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try state.unsigned(next(), path) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try state.unsigned(next(), path) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try state.unsigned(next(), path) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try state.unsigned(next(), path) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try state.unsigned(next(), path) }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try state.decodeValue(type, source: next(), path: path)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try WireValueDecoder(state: state, source: next(), path: path).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try WireValueDecoder(state: state, source: next(), path: path).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        WireValueDecoder(state: state, source: try next(), path: path)
    }
}

struct WireSingleValueDecoding: SingleValueDecodingContainer {
    let state: DecodingState
    let source: ValueSource
    let path: DecodePath
    var codingPath: [any CodingKey] { state.keys(path) }

    func decodeNil() -> Bool {
        switch source {
        case .absent: return true
        case .field: return false
        case .stream(let cursor):
            guard cursor.position < cursor.end, state.bytes[cursor.position] == 0 else { return false }
            cursor.position += 1
            return true
        }
    }

    func decode(_ type: Bool.Type) throws -> Bool { try state.bool(source, path) }
    func decode(_ type: String.Type) throws -> String { try state.string(source, path) }
    func decode(_ type: Double.Type) throws -> Double { try state.double(source, path) }
    func decode(_ type: Float.Type) throws -> Float { try state.float(source, path) }
    func decode(_ type: Int.Type) throws -> Int { try state.signed(source, path) }
    func decode(_ type: Int8.Type) throws -> Int8 { try state.signed(source, path) }
    func decode(_ type: Int16.Type) throws -> Int16 { try state.signed(source, path) }
    func decode(_ type: Int32.Type) throws -> Int32 { try state.signed(source, path) }
    func decode(_ type: Int64.Type) throws -> Int64 { try state.signed(source, path) }
    func decode(_ type: UInt.Type) throws -> UInt { try state.unsigned(source, path) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try state.unsigned(source, path) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try state.unsigned(source, path) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try state.unsigned(source, path) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try state.unsigned(source, path) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try state.decodeValue(type, source: source, path: path)
    }
}
