import NIOCore
import Testing

@testable import Wire

/// Byte fields from 4 KiB up are kept by reference while a message is encoded and copied once when it is
/// written out; the bytes must be exactly those a field-by-field encoding gives, wherever the field sits.
@Suite struct LargeBytesTests {
    struct Blob: Codable, Equatable {
        var id: Int
        var payload: [UInt8]
        enum CodingKeys: Int, CodingKey { case id = 1, payload }
    }

    struct Outer: Codable, Equatable {
        var blob: Blob
        var blobs: [Blob]
        var raw: [[UInt8]]
        var maybe: [UInt8]?
        var tail: String
        enum CodingKeys: Int, CodingKey { case blob = 1, blobs, raw, maybe, tail }
    }

    static func payload(_ count: Int, seed: UInt8) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31) ^ seed }
    }

    /// The expected encoding, built from the format's rules in docs/wire.md.
    static func varint(_ value: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        var rest = UInt64(value)
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        return bytes + [UInt8(rest)]
    }
    static func delimited(_ body: [UInt8]) -> [UInt8] { varint(body.count) + body }
    static func field(_ number: Int, _ body: [UInt8]) -> [UInt8] { varint(number << 3 | 2) + delimited(body) }
    static func blob(_ blob: Blob) -> [UInt8] {
        delimited(varint(1 << 3) + varint(blob.id << 1) + field(2, blob.payload))
    }
    static func array(_ elements: [[UInt8]]) -> [UInt8] { delimited(varint(elements.count) + elements.joined()) }

    @Test(arguments: [0, 100, 4095, 4096, 5000, 70_000, 1 << 20])
    func encodingEqualsTheFieldByFieldBytes(size: Int) throws {
        let outer = Outer(
            blob: Blob(id: 1, payload: Self.payload(size, seed: 1)),
            blobs: [Blob(id: 2, payload: Self.payload(size / 2, seed: 2)), Blob(id: 3, payload: [7])],
            raw: [Self.payload(size, seed: 3), [], Self.payload(4096, seed: 4)],
            maybe: Self.payload(size + 1, seed: 5), tail: "end")
        let body =
            Self.varint(1 << 3 | 2) + Self.blob(outer.blob)
            + Self.varint(2 << 3 | 2) + Self.array(outer.blobs.map(Self.blob))
            + Self.varint(3 << 3 | 2) + Self.array(outer.raw.map(Self.delimited))
            + Self.field(4, outer.maybe!) + Self.field(5, Array("end".utf8))
        let expected = Self.delimited(body)

        let encoder = WireEncoder()
        let bytes = try encoder.encode(outer)
        #expect(bytes == expected)
        let message = try encoder.encodeMessage(outer)
        #expect(message.count == expected.count)
        let large = [size, size / 2, size, 4096, size + 1].filter { $0 >= EncodingState.segmentThreshold }
        #expect(message.segments.count == large.count)
        var buffer = ByteBufferAllocator().buffer(capacity: 0)
        buffer.writeMessage(message)
        #expect(Array(buffer: buffer) == expected)
        var appended: [UInt8] = [9, 9]
        try encoder.encode(outer, into: &appended)
        #expect(appended == [9, 9] + expected)
        #expect(try WireDecoder().decode(Outer.self, from: bytes) == outer)
    }

    @Test func aLargeTopLevelArrayRoundTrips() throws {
        let payload = Self.payload(100_000, seed: 9)
        let bytes = try WireEncoder().encode(payload)
        #expect(bytes == Self.delimited(payload))
        #expect(try WireDecoder().decode([UInt8].self, from: bytes) == payload)
    }
}
