import Foundation

/// Makes a random value of any Decodable type by answering its `init(from:)` with generated values:
/// integers at every edge (`HostileValues`), floats including NaN and infinities, strings from the
/// words contracts use as enum values or from `HostileValues.punctuation`, optional fields sometimes
/// absent, collections of 0…4 elements. For property tests over every Wire contract.
public struct RandomDecoder: Decoder {
    /// Words the contracts' string enums use, so that values holding them decode often.
    public static let words = [
        "private", "public", "email", "webhook", "pending", "active", "running", "completed", "error", "done",
        "auto", "manual", "access", "id", "serving", "notServing", "starting", "jpeg", "png", "delivered",
        "dropped", "image.created", "image.replaced", "image.deleted", "image.tagsChanged", "thumbnail", "",
    ]

    final class Source {
        var generator: SeededGenerator
        var depth = 0
        /// Every optional present, every collection non-empty, strings from `words`: a value that shows
        /// every field of its type (golden encodings).
        let complete: Bool
        init(seed: UInt64, complete: Bool = false) {
            (generator, self.complete) = (SeededGenerator(seed: seed), complete)
        }
    }

    let source: Source
    public var codingPath: [any CodingKey] = []
    public var userInfo: [CodingUserInfoKey: Any] = [:]

    public init(seed: UInt64, complete: Bool = false) { source = Source(seed: seed, complete: complete) }
    init(source: Source, codingPath: [any CodingKey]) { (self.source, self.codingPath) = (source, codingPath) }

    public static func value<T: Decodable>(_ type: T.Type, seed: UInt64, complete: Bool = false) throws -> T {
        try T(from: RandomDecoder(seed: seed, complete: complete))
    }

    public func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(Keyed<Key>(decoder: self))
    }

    public func unkeyedContainer() throws -> any UnkeyedDecodingContainer { Unkeyed(decoder: self) }
    public func singleValueContainer() throws -> any SingleValueDecodingContainer { Single(decoder: self) }

    // MARK: Values

    func bool() -> Bool { Bool.random(using: &source.generator) }

    func integer<T: FixedWidthInteger>(_ type: T.Type) -> T {
        let wide = HostileValues.integer(&source.generator)
        switch Int.random(in: 0..<4, using: &source.generator) {
        case 0: return T(truncatingIfNeeded: wide)
        case 1: return T.random(in: T.min...T.max, using: &source.generator)
        default: return T(truncatingIfNeeded: Int.random(in: -2...300, using: &source.generator))
        }
    }

    func double() -> Double {
        Bool.random(using: &source.generator)
            ? HostileValues.doubles.randomElement(using: &source.generator)!
            : Double.random(in: -1e6...1e6, using: &source.generator)
    }

    func string() -> String {
        !source.complete && Int.random(in: 0..<3, using: &source.generator) == 0
            ? HostileValues.text(&source.generator, maxLength: 24)
            : Self.words.randomElement(using: &source.generator)!
    }

    func nested<T: Decodable>(_ type: T.Type, key: (any CodingKey)?) throws -> T {
        if T.self == String.self { return string() as! T }
        if T.self == Bool.self { return bool() as! T }
        if T.self == Double.self { return double() as! T }
        if T.self == Float.self { return Float(double()) as! T }
        if T.self == Int.self { return integer(Int.self) as! T }
        if T.self == Int64.self { return integer(Int64.self) as! T }
        if T.self == Int32.self { return integer(Int32.self) as! T }
        if T.self == UInt32.self { return integer(UInt32.self) as! T }
        if T.self == UInt64.self { return integer(UInt64.self) as! T }
        if T.self == UInt8.self { return integer(UInt8.self) as! T }
        if T.self == UInt16.self { return integer(UInt16.self) as! T }
        if T.self == UInt.self { return integer(UInt.self) as! T }
        if T.self == Int8.self { return integer(Int8.self) as! T }
        if T.self == Int16.self { return integer(Int16.self) as! T }
        if T.self == Data.self {
            return Data((0..<Int.random(in: 0...32, using: &source.generator)).map { _ in integer(UInt8.self) }) as! T
        }
        source.depth += 1
        defer { source.depth -= 1 }
        guard source.depth < 8 else {
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "deep"))
        }
        return try T(from: RandomDecoder(source: source, codingPath: codingPath + (key.map { [$0] } ?? [])))
    }

    struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let decoder: RandomDecoder
        var codingPath: [any CodingKey] { decoder.codingPath }
        var allKeys: [Key] { [] }
        func contains(_ key: Key) -> Bool { decoder.source.complete || decoder.bool() || decoder.bool() }
        func decodeNil(forKey key: Key) throws -> Bool {
            !decoder.source.complete && Int.random(in: 0..<3, using: &decoder.source.generator) == 0
        }
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try decoder.nested(T.self, key: key) }
        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
            -> KeyedDecodingContainer<NestedKey>
        {
            try decoder.container(keyedBy: type)
        }
        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            try decoder.unkeyedContainer()
        }
        func superDecoder() throws -> any Decoder { decoder }
        func superDecoder(forKey key: Key) throws -> any Decoder { decoder }
    }

    struct Unkeyed: UnkeyedDecodingContainer {
        let decoder: RandomDecoder
        var codingPath: [any CodingKey] { decoder.codingPath }
        let count: Int?
        var currentIndex = 0
        var isAtEnd: Bool { currentIndex >= (count ?? 0) }

        init(decoder: RandomDecoder) {
            self.decoder = decoder
            count =
                decoder.source.depth > 4
                ? 0 : Int.random(in: decoder.source.complete ? 1...2 : 0...4, using: &decoder.source.generator)
        }

        mutating func decodeNil() throws -> Bool { false }
        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
            currentIndex += 1
            return try decoder.nested(T.self, key: nil)
        }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
            -> KeyedDecodingContainer<NestedKey>
        {
            currentIndex += 1
            return try decoder.container(keyedBy: type)
        }
        mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
            currentIndex += 1
            return try decoder.unkeyedContainer()
        }
        mutating func superDecoder() throws -> any Decoder { decoder }
    }

    struct Single: SingleValueDecodingContainer {
        let decoder: RandomDecoder
        var codingPath: [any CodingKey] { decoder.codingPath }
        func decodeNil() -> Bool { false }
        func decode<T: Decodable>(_ type: T.Type) throws -> T { try decoder.nested(T.self, key: nil) }
    }
}
