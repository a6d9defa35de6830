import BenchSupport
import Contracts
import Foundation
import Wire

/// A representative message: an Image record as the gallery lists it.
struct ImageRecord: Codable, Equatable {
    struct Tag: Codable, Equatable {
        var tag: String
        var count: Int
        var confidence: Double
        var source: String
        enum CodingKeys: Int, CodingKey { case tag = 1, count, confidence, source }
    }

    var id: String
    var key: String
    var filename: String
    var contentType: String
    var width: Int
    var height: Int
    var size: Int
    var sha256: String
    var visibility: String
    var createdAt: Double
    var url: String
    var thumbnailUrl: String
    var tags: [Tag]
    var tagging: String

    enum CodingKeys: Int, CodingKey {
        case id = 1, key, filename, contentType, width, height, size, sha256, visibility, createdAt, url, thumbnailUrl,
            tags,
            tagging
    }

    static let sample = ImageRecord(
        id: "img_01HZX3K9Q2V7", key: "holidays/2026/beach.jpg", filename: "beach.jpg", contentType: "image/jpeg",
        width: 4032, height: 3024, size: 3_481_211, sha256: String(repeating: "ab", count: 32), visibility: "private",
        createdAt: 1_795_000_000.25, url: "/v1/images/img_01HZX3K9Q2V7/content",
        thumbnailUrl: "/v1/images/img_01HZX3K9Q2V7/thumbnail",
        tags: [
            Tag(tag: "person", count: 2, confidence: 0.91, source: "auto"),
            Tag(tag: "dog", count: 1, confidence: 0.77, source: "auto"),
            Tag(tag: "umbrella", count: 3, confidence: 0.52, source: "auto"),
            Tag(tag: "holiday", count: 1, confidence: 1, source: "manual"),
        ], tagging: "done")
}

/// Nanoseconds per operation of each body, the best of `rounds` rounds of `operations` calls. The bodies
/// take turns round by round, so a noisy stretch of this shared machine falls on all of them alike instead of
/// on whichever was being measured then.
func nanosecondsPerOp(rounds: Int, operations: Int, _ bodies: [() throws -> Void]) throws -> [Double] {
    let clock = ContinuousClock()
    var best = [Double](repeating: .infinity, count: bodies.count)
    for _ in 0..<rounds {
        for (index, body) in bodies.enumerated() {
            let start = clock.now
            for _ in 0..<operations { try body() }
            best[index] = min(best[index], (clock.now - start).microseconds * 1000 / Double(operations))
        }
    }
    return best
}

struct CodecFigures {
    var wireEncode, jsonEncode, wireDecode, jsonDecode: Double
    var wireBytes, jsonBytes: Int
}

func measureCodec() throws -> CodecFigures {
    let record = ImageRecord.sample
    let wire = WireEncoder()
    let wireDecoder = WireDecoder()
    let json = JSONEncoder()
    let jsonDecoder = JSONDecoder()
    let wireBytes = try wire.encode(record)
    let jsonBytes = try json.encode(record)
    let check = try wireDecoder.decode(ImageRecord.self, from: wireBytes)
    precondition(check == record, "Wire round trip changed the record")
    let figures = try nanosecondsPerOp(
        rounds: 25, operations: 4_000,
        [
            { _ = try wire.encode(record) },
            { _ = try json.encode(record) },
            { _ = try wireDecoder.decode(ImageRecord.self, from: wireBytes) },
            { _ = try jsonDecoder.decode(ImageRecord.self, from: jsonBytes) },
        ])
    return CodecFigures(
        wireEncode: figures[0], jsonEncode: figures[1], wireDecode: figures[2], jsonDecode: figures[3],
        wireBytes: wireBytes.count, jsonBytes: jsonBytes.count)
}
