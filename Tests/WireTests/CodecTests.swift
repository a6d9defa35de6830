import Foundation
import Testing

@testable import Wire

@Suite struct CodecTests {
    let encoder = WireEncoder()
    let decoder = WireDecoder()

    @Test func roundTripsEveryKindOfValue() throws {
        let bytes = try encoder.encode(Everything.sample)
        let back = try decoder.decode(Everything.self, from: bytes)
        #expect(back == Everything.sample)
    }

    @Test func roundTripsTopLevelPrimitivesAndOptionals() throws {
        #expect(try decoder.decode(Int.self, from: encoder.encode(-42)) == -42)
        #expect(try decoder.decode(String.self, from: encoder.encode("")) == "")
        #expect(try decoder.decode(String?.self, from: encoder.encode(String?.none)) == nil)
        #expect(try decoder.decode([UInt8].self, from: encoder.encode([UInt8](repeating: 7, count: 300))).count == 300)
        #expect(try decoder.decode([Int: String].self, from: encoder.encode([3: "c", -1: "z"])) == [3: "c", -1: "z"])
    }

    @Test func goldenPoint() throws {
        // Message: length 4; field 1 varint zigzag(3)=6; field 2 varint zigzag(-2)=3.
        #expect(hex(try encoder.encode(Point(x: 3, y: -2))) == "04 08 06 10 03")
    }

    @Test func goldenProfileWithOptional() throws {
        let bytes = try encoder.encode(ProfileV2(id: "ab", age: 30, email: nil, home: Point(x: 1, y: 0)))
        // 0x0c bytes: 0a 02 'a' 'b' | 10 3c | 22 04 08 02 10 00 ; email (field 3) is absent.
        #expect(hex(bytes) == "0c 0a 02 61 62 10 3c 22 04 08 02 10 00")
    }

    @Test func goldenArrayAndMap() throws {
        // Array: length, count, then untagged elements.
        #expect(hex(try encoder.encode([1, 2, -1])) == "04 03 02 04 01")
        // Optional elements carry a presence byte.
        #expect(hex(try encoder.encode([Int?]([5, nil]))) == "04 02 01 0a 00")
        // Map: an array of entries {1: key, 2: value}.
        #expect(hex(try encoder.encode(["k": 1])) == "07 01 05 0a 01 6b 10 02")
        // Bytes are length-delimited, copied in one move.
        #expect(hex(try encoder.encode([UInt8]([0xde, 0xad]))) == "02 de ad")
    }

    @Test func goldenLongPayloadWidensTheLength() throws {
        let bytes = try encoder.encode(ProfileV1(id: String(repeating: "x", count: 200), age: 1))
        // 205-byte body needs a two-byte varint length: cd 01.
        #expect(Array(bytes.prefix(5)) == [0xcd, 0x01, 0x0a, 0xc8, 0x01])
        #expect(try decoder.decode(ProfileV1.self, from: bytes).id.count == 200)
    }

    @Test func newerMessageDecodesAsOlder() throws {
        let newer = ProfileV2(id: "u1", age: 41, email: "a@b.c", home: Point(x: 5, y: 6))
        let older = try decoder.decode(ProfileV1.self, from: encoder.encode(newer))
        #expect(older == ProfileV1(id: "u1", age: 41))
    }

    @Test func olderMessageDecodesAsNewer() throws {
        let newer = try decoder.decode(ProfileV2.self, from: encoder.encode(ProfileV1(id: "u1", age: 41)))
        #expect(newer == ProfileV2(id: "u1", age: 41, email: nil, home: nil))
    }

    @Test func missingRequiredFieldIsKeyNotFound() throws {
        let bytes = try encoder.encode(Point(x: 1, y: 2))
        struct Wider: Codable {
            var x: Int
            var z: Int
            enum CodingKeys: Int, CodingKey {
                case x = 1
                case z = 9
            }
        }
        #expect {
            try decoder.decode(Wider.self, from: bytes)
        } throws: { error in
            guard case DecodingError.keyNotFound(let key, _) = error else { return false }
            return key.intValue == 9
        }
    }

    @Test func decodingErrorsNameThePathToTheBadField() throws {
        struct Leaf<Count: Codable, Flag: Codable>: Codable {
            var count: Count
            var flag: Flag
            enum CodingKeys: Int, CodingKey { case count = 1, flag }
        }
        struct Root<Count: Codable, Flag: Codable>: Codable {
            var name: String
            var leaves: [Leaf<Count, Flag>]
            enum CodingKeys: Int, CodingKey { case name = 1, leaves }
        }
        typealias Good = Root<Int, Bool>
        func path(_ error: any Error) -> [String]? {
            switch error {
            case DecodingError.dataCorrupted(let context): context.codingPath.map(\.stringValue)
            case DecodingError.keyNotFound(let key, let context):
                context.codingPath.map(\.stringValue) + [key.stringValue]
            default: nil
            }
        }
        let wrongType = try encoder.encode(Root(name: "r", leaves: [Leaf(count: "two", flag: false)]))
        let wrongTypeError = #expect(throws: DecodingError.self) { try decoder.decode(Good.self, from: wrongType) }
        #expect(wrongTypeError.flatMap(path) == ["leaves", "count"])
        let badBool = try encoder.encode(Root(name: "r", leaves: [Leaf(count: 1, flag: 7)]))
        let badBoolError = #expect(throws: DecodingError.self) { try decoder.decode(Good.self, from: badBool) }
        #expect(badBoolError.flatMap(path) == ["leaves", "flag"])
        let missing = try encoder.encode(Root(name: "r", leaves: [Leaf<Int, Bool?>(count: 1, flag: nil)]))
        let missingError = #expect(throws: DecodingError.self) { try decoder.decode(Good.self, from: missing) }
        #expect(missingError.flatMap(path) == ["leaves", "flag"])
        // The paths of one message do not leak into the next decode.
        let good = try decoder.decode(
            Good.self, from: encoder.encode(Good(name: "g", leaves: [Leaf(count: 3, flag: true)])))
        #expect(good.leaves.first?.count == 3)
    }

    @Test func stringKeysAreRefusedWithAClearError() throws {
        struct Loose: Codable { var name: String }
        #expect(throws: EncodingError.self) { try encoder.encode(Loose(name: "x")) }
    }

    @Test func depthBombIsRefused() throws {
        let deep = try WireEncoder(maxDepth: 10_000).encode(Chain.depth(200))
        #expect(throws: DecodingError.self) { try decoder.decode(Chain.self, from: deep) }
        #expect(throws: EncodingError.self) { try encoder.encode(Chain.depth(200)) }
        // Hand-built: 100 nested messages, each field 1 of the one around it.
        var bomb: [UInt8] = [0x00]
        for _ in 0..<100 {
            var outer: [UInt8] = []
            outer.appendVarint(UInt64(bomb.count + 1))
            outer.append(0x0a)
            outer += bomb
            bomb = outer
        }
        #expect(throws: DecodingError.self) { try decoder.decode(Chain.self, from: bomb) }
        #expect(try WireDecoder(limits: WireLimits(maxDepth: 200)).decode(Chain.self, from: bomb).next != nil)
    }

    @Test func countLargerThanBytesLeftIsRefusedBeforeAllocating() throws {
        // Array claiming 2^40 elements inside 6 bytes.
        let lie: [UInt8] = [0x06, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20]
        #expect(throws: DecodingError.self) { try decoder.decode([Int].self, from: lie) }
        let limited = WireDecoder(limits: WireLimits(maxCount: 2))
        #expect(throws: DecodingError.self) { try limited.decode([Int].self, from: encoder.encode([1, 2, 3])) }
    }

    @Test func malformedInputsAreTypedErrors() throws {
        let good = try encoder.encode(Everything.sample)
        // Every truncation of a valid message is an error, never a crash.
        for cut in 0..<good.count {
            #expect(throws: DecodingError.self) { try decoder.decode(Everything.self, from: Array(good.prefix(cut))) }
        }
        // Random bytes either decode or throw.
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let noise = (0..<Int.random(in: 0..<64, using: &generator)).map { _ in UInt8.random(in: 0...255) }
            _ = try? decoder.decode(Everything.self, from: noise)
        }
        #expect(throws: DecodingError.self) { try decoder.decode(String.self, from: [0x02, 0xff, 0xfe]) }
        #expect(throws: DecodingError.self) { try decoder.decode(Int8.self, from: encoder.encode(1000)) }
        #expect(throws: DecodingError.self) { try decoder.decode(Bool.self, from: [0x02]) }
        #expect(throws: DecodingError.self) {
            try decoder.decode(Point.self, from: encoder.encode(Point(x: 1, y: 1)) + [0])
        }
        // Varint of 11 bytes.
        #expect(throws: DecodingError.self) {
            try decoder.decode(UInt64.self, from: [UInt8](repeating: 0xff, count: 10) + [1])
        }
        // Field 1 with wire type 3 (unknown).
        #expect(throws: DecodingError.self) { try decoder.decode(Point.self, from: [0x02, 0x0b, 0x00]) }
    }

    @Test func wrongWireTypeForAFieldIsAnError() throws {
        struct TextX: Codable {
            var x: String
            enum CodingKeys: Int, CodingKey { case x = 1 }
        }
        #expect(throws: DecodingError.self) { try decoder.decode(Point.self, from: encoder.encode(TextX(x: "1"))) }
    }

    @Test func unknownFieldsOfEveryWireTypeAreSkipped() throws {
        // Point{x:1} followed by unknown fields 7 (fixed64), 8 (fixed32), 9 (bytes).
        var body: [UInt8] = [0x08, 0x02]
        body += [0x39] + [UInt8](repeating: 1, count: 8)
        body += [0x45] + [UInt8](repeating: 2, count: 4)
        body += [0x4a, 0x02, 0x33, 0x44]
        body += [0x10, 0x04]
        let point = try decoder.decode(Point.self, from: [UInt8(body.count)] + body)
        #expect(point == Point(x: 1, y: 2))
    }

    /// `T(from:)` takes the decoder as `any Decoder`; one that fits the existential's three inline words is
    /// not copied into a heap box for every nested value and array element.
    @Test func nestedValueDecoderFitsAnExistentialInline() {
        #expect(MemoryLayout<WireValueDecoder>.size <= 3 * MemoryLayout<Int>.size)
        #expect(MemoryLayout<ValueSource>.size <= MemoryLayout<Int>.size)
    }

    /// Arrays are decoded with their declared count reserved (not through `Array.init(from:)`): long arrays
    /// of values, of messages that encode as nothing, of optionals and of arrays keep every element in order.
    @Test func longArraysKeepEveryElementInOrder() throws {
        let numbers = (0..<100_000).map { $0 * 7 - 350_000 }
        #expect(try decoder.decode([Int].self, from: encoder.encode(numbers)) == numbers)
        let points = (0..<5_000).map { Point(x: $0 % 3, y: $0 % 5 == 0 ? 0 : -$0) }
        #expect(try decoder.decode([Point].self, from: encoder.encode(points)) == points)
        let holes: [[String?]] = (0..<300).map { row in (0..<row % 4).map { $0 == 1 ? nil : "\(row).\($0)" } }
        #expect(try decoder.decode([[String?]].self, from: encoder.encode(holes)) == holes)
    }

    /// An array that holds fewer elements than it declares (the count still fits the bytes left, two
    /// two-byte elements claiming three) is an error, not a shorter array.
    @Test func arrayShorterThanItsCountIsAnError() throws {
        let short: [UInt8] = [0x05, 0x03, 0x80, 0x01, 0x80, 0x01]
        #expect(throws: DecodingError.self) { try decoder.decode([Int].self, from: short) }
        let whole: [UInt8] = [0x07, 0x03, 0x80, 0x01, 0x80, 0x01, 0x80, 0x01]
        #expect(try decoder.decode([Int].self, from: whole) == [64, 64, 64])
    }
}
