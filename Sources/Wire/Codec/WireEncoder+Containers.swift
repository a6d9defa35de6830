/// The `Encoder` handed to one value's `encode(to:)`.
struct WireValueEncoder: Encoder {
    let state: EncodingState
    let frame: Int
    var codingPath: [any CodingKey] { state.codingPath(frame) }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        state.open(.keyed, frame: frame)
        return KeyedEncodingContainer(WireKeyedEncoding<Key>(state: state, frame: frame))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        state.open(.unkeyed, frame: frame)
        return WireUnkeyedEncoding(state: state, frame: frame)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        state.open(.single, frame: frame)
        return WireSingleValueEncoding(state: state, frame: frame)
    }
}

struct WireKeyedEncoding<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let state: EncodingState
    let frame: Int
    var codingPath: [any CodingKey] { state.codingPath(frame) }

    mutating func encodeNil(forKey key: Key) throws {}

    mutating func encode(_ value: Bool, forKey key: Key) throws {
        try state.field(key, frame: frame) {
            state.out.append(value ? 1 : 0)
            return .varint
        }
    }

    mutating func encode(_ value: String, forKey key: Key) throws {
        try state.field(key, frame: frame) {
            state.writeString(value)
            return .length
        }
    }

    mutating func encode(_ value: Double, forKey key: Key) throws {
        try state.field(key, frame: frame) {
            state.out.appendFixed64(value.bitPattern)
            return .fixed64
        }
    }

    mutating func encode(_ value: Float, forKey key: Key) throws {
        try state.field(key, frame: frame) {
            state.out.appendFixed32(value.bitPattern)
            return .fixed32
        }
    }

    mutating func encode(_ value: Int, forKey key: Key) throws { try signed(Int64(value), key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { try signed(Int64(value), key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { try signed(Int64(value), key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { try signed(Int64(value), key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { try signed(value, key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { try unsigned(UInt64(value), key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { try unsigned(UInt64(value), key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { try unsigned(UInt64(value), key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { try unsigned(UInt64(value), key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { try unsigned(value, key) }

    private func signed(_ value: Int64, _ key: Key) throws {
        try state.field(key, frame: frame) {
            state.out.appendVarint(zigzag(value))
            return .varint
        }
    }

    private func unsigned(_ value: UInt64, _ key: Key) throws {
        try state.field(key, frame: frame) {
            state.out.appendVarint(value)
            return .varint
        }
    }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try state.field(key, frame: frame) {
            try state.encodeValue(value, context: .field, key: key)
        }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        let child = state.detachedChild(parent: frame, number: fieldNumber(key), key: key)
        return WireValueEncoder(state: child, frame: 0)
            .container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = state.detachedChild(parent: frame, number: fieldNumber(key), key: key)
        return WireValueEncoder(state: child, frame: 0).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        let child = state.detachedChild(parent: frame, number: 0, key: nil)
        return WireValueEncoder(state: child, frame: 0)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        let child = state.detachedChild(parent: frame, number: fieldNumber(key), key: key)
        return WireValueEncoder(state: child, frame: 0)
    }

    /// Nested containers cannot throw: a bad key is reported when the value finishes.
    private func fieldNumber(_ key: Key) -> Int {
        do {
            return try state.fieldNumber(key, frame: frame)
        } catch {
            state.deferredError = error
            return 0
        }
    }
}

struct WireUnkeyedEncoding: UnkeyedEncodingContainer {
    let state: EncodingState
    let frame: Int
    var codingPath: [any CodingKey] { state.codingPath(frame) }
    var count: Int { state.frames[frame].count }

    private func appended() { state.frames[frame].count += 1 }

    mutating func encodeNil() throws {
        state.out.append(0)
        appended()
    }

    mutating func encode(_ value: Bool) throws {
        state.out.append(value ? 1 : 0)
        appended()
    }

    mutating func encode(_ value: String) throws {
        state.writeString(value)
        appended()
    }

    mutating func encode(_ value: Double) throws {
        state.out.appendFixed64(value.bitPattern)
        appended()
    }

    mutating func encode(_ value: Float) throws {
        state.out.appendFixed32(value.bitPattern)
        appended()
    }

    mutating func encode(_ value: Int) throws { signed(Int64(value)) }
    mutating func encode(_ value: Int8) throws { signed(Int64(value)) }
    mutating func encode(_ value: Int16) throws { signed(Int64(value)) }
    mutating func encode(_ value: Int32) throws { signed(Int64(value)) }
    mutating func encode(_ value: Int64) throws { signed(value) }
    mutating func encode(_ value: UInt) throws { unsigned(UInt64(value)) }
    mutating func encode(_ value: UInt8) throws { unsigned(UInt64(value)) }
    mutating func encode(_ value: UInt16) throws { unsigned(UInt64(value)) }
    mutating func encode(_ value: UInt32) throws { unsigned(UInt64(value)) }
    mutating func encode(_ value: UInt64) throws { unsigned(value) }

    private func signed(_ value: Int64) {
        state.out.appendVarint(zigzag(value))
        appended()
    }

    private func unsigned(_ value: UInt64) {
        state.out.appendVarint(value)
        appended()
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        _ = try state.encodeValue(value, context: .element, key: nil)
        appended()
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
        -> KeyedEncodingContainer<NestedKey>
    {
        let child = state.detachedChild(parent: frame, number: 0, key: nil)
        return WireValueEncoder(state: child, frame: 0).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let child = state.detachedChild(parent: frame, number: 0, key: nil)
        return WireValueEncoder(state: child, frame: 0).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        let child = state.detachedChild(parent: frame, number: 0, key: nil)
        return WireValueEncoder(state: child, frame: 0)
    }
}

struct WireSingleValueEncoding: SingleValueEncodingContainer {
    let state: EncodingState
    let frame: Int
    var codingPath: [any CodingKey] { state.codingPath(frame) }

    private func wrote(_ type: WireType) throws {
        guard state.frames[frame].singleType == nil, !state.frames[frame].isNil else {
            throw EncodingError.invalidValue(
                type, .init(codingPath: codingPath, debugDescription: "A single value container was written twice"))
        }
        state.frames[frame].singleType = type
    }

    mutating func encodeNil() throws {
        if state.frames[frame].context == .field {
            state.frames[frame].isNil = true
        } else {
            state.out.append(0)
            try wrote(.varint)
        }
    }

    mutating func encode(_ value: Bool) throws {
        state.out.append(value ? 1 : 0)
        try wrote(.varint)
    }

    mutating func encode(_ value: String) throws {
        state.writeString(value)
        try wrote(.length)
    }

    mutating func encode(_ value: Double) throws {
        state.out.appendFixed64(value.bitPattern)
        try wrote(.fixed64)
    }

    mutating func encode(_ value: Float) throws {
        state.out.appendFixed32(value.bitPattern)
        try wrote(.fixed32)
    }

    mutating func encode(_ value: Int) throws { try signed(Int64(value)) }
    mutating func encode(_ value: Int8) throws { try signed(Int64(value)) }
    mutating func encode(_ value: Int16) throws { try signed(Int64(value)) }
    mutating func encode(_ value: Int32) throws { try signed(Int64(value)) }
    mutating func encode(_ value: Int64) throws { try signed(value) }
    mutating func encode(_ value: UInt) throws { try unsigned(UInt64(value)) }
    mutating func encode(_ value: UInt8) throws { try unsigned(UInt64(value)) }
    mutating func encode(_ value: UInt16) throws { try unsigned(UInt64(value)) }
    mutating func encode(_ value: UInt32) throws { try unsigned(UInt64(value)) }
    mutating func encode(_ value: UInt64) throws { try unsigned(value) }

    private func signed(_ value: Int64) throws {
        state.out.appendVarint(zigzag(value))
        try wrote(.varint)
    }

    private func unsigned(_ value: UInt64) throws {
        state.out.appendVarint(value)
        try wrote(.varint)
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        let context = state.frames[frame].context
        if let type = try state.encodeValue(value, context: context, key: nil) {
            try wrote(type)
        } else {
            state.frames[frame].isNil = true
        }
    }
}

extension EncodingState {
    @inline(__always)
    func writeString(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            out.appendVarint(UInt64(utf8.count))
            out.append(UnsafeRawBufferPointer(utf8))
        }
    }
}
