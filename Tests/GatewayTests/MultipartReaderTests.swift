import NIOCore
import Testing
import WireTesting

@testable import Gateway

/// The multipart reader that replaced MultipartKit's (which trapped on a non-ASCII header name byte).
@Suite struct MultipartReaderTests {
    let body = Array(
        ("preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\ntrip/a.jpg\r\n"
            + "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a;b.jpg\"\r\n"
            + "Content-Type: image/jpeg\r\n\r\n\u{FF}\r\n--X not the boundary\r\n--XyZ--\r\nepilogue").utf8)

    private func read(_ bytes: [UInt8], boundary: String = "XyZ", chunk: Int) throws(MultipartReader.Failure)
        -> MultipartReader
    {
        let reader = MultipartReader(boundary: boundary, limit: 1 << 20)
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + chunk)
            try reader.feed(ByteBuffer(bytes: bytes[offset..<end]))
            offset = end
        }
        try reader.finish()
        return reader
    }

    /// Every chunking gives the same parts: a delimiter split across chunks is still found.
    @Test(arguments: [1, 2, 3, 5, 7, 13, 64, 10_000])
    func partsWhateverTheChunks(chunk: Int) throws {
        let reader = try read(body, chunk: chunk)
        #expect(reader.fields == ["key": "trip/a.jpg"])
        #expect(reader.filename == "a;b.jpg")
        #expect(reader.file == Array("\u{FF}\r\n--X not the boundary".utf8))
    }

    @Test func nonASCIIHeaderNamesAreRefusedNotTrappedOn() {
        for byte: UInt8 in [0x80, 0xC3, 0xFF] {
            let bytes = Array("--b\r\n".utf8) + [byte] + Array("name: x\r\n\r\nbody\r\n--b--\r\n".utf8)
            #expect(throws: MultipartReader.Failure.malformed) { try read(bytes, boundary: "b", chunk: 4) }
        }
    }

    @Test func brokenBodiesAreRefused() {
        let cases: [(String, String, MultipartReader.Failure)] = [
            ("--b\r\n\r\nunterminated", "b", .noCompletePart),
            ("no delimiter at all", "b", .noCompletePart),
            ("--b\r\nno-colon\r\n\r\nx\r\n--b--", "b", .malformed),
            ("--bX\r\n\r\nx\r\n--b--", "b", .malformed),
            ("--b\r\n\r\nx\r\n--b\r\n\r\ny", "b", .malformed),
            ("--b\r\n\r\nx\r\n--b--", "", .malformed),
            ("--b\r\n\r\nx\r\n--b--", String(repeating: "b", count: 71), .malformed),
            ("--b\r\n" + String(repeating: "a: b\r\n", count: 4_000) + "\r\nx\r\n--b--", "b", .malformed),
        ]
        for (text, boundary, failure) in cases {
            #expect(throws: failure, "\(text.prefix(30))") { try read(Array(text.utf8), boundary: boundary, chunk: 3) }
        }
        let reader = MultipartReader(boundary: "b", limit: 10)
        #expect(throws: MultipartReader.Failure.tooLarge) { try reader.feed(ByteBuffer(repeating: 0, count: 11)) }
    }

    /// Random and mutated bodies: taken or refused, never trapped on.
    @Test func randomBodies() {
        var generator = SeededGenerator(seed: 0x3A17)
        let seed = String(decoding: body, as: UTF8.self)
        for round in 0..<5_000 {
            let text =
                round % 2 == 0
                ? HostileValues.mutated(seed, &generator) : HostileValues.text(&generator, maxLength: 80)
            _ = try? read(Array(text.utf8), chunk: Int.random(in: 1...40, using: &generator))
        }
    }
}
