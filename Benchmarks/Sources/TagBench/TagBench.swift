import BenchSupport
import Foundation
import GRDB
import TagIndex
import Wire

/// Tag queries against TagSvc's index with 100,000 images of one owner carrying 20 tags (plus 20,000 of
/// other owners), as TagSvc runs them: one, two and three tags with counts, first pages and later pages.
/// Beside it, the same queries answered by scanning every image's tags (what a store without a tag
/// index does), and the issue's target.
@main
struct TagBench {
    static let tags = [
        "person", "car", "dog", "cat", "bicycle", "chair", "cup", "bottle", "tree", "bird",
        "truck", "boat", "bench", "book", "clock", "laptop", "horse", "pizza", "umbrella", "kite",
    ]

    static func main() async throws {
        let images = CommandLine.arguments.firstIndex(of: "--images").flatMap { Int(CommandLine.arguments[$0 + 1]) }
            ?? 100_000
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tagbench-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let keep = CommandLine.arguments.contains("--keep")
        defer { if !keep { try? FileManager.default.removeItem(atPath: folder) } else { print("kept \(folder)") } }
        let store = try TagStore(folder: folder)
        let owner = "bench-owner"
        let populate = ContinuousClock.now
        var generator = SplitMix(seed: 42)
        var entries: [(image: ImageRecord, tags: [String: Int])] = []
        for index in 0..<(images + images / 5) {
            let mine = index % 6 != 5
            let image = ImageRecord(
                id: String(format: "img%07d", index), owner: mine ? owner : "other-\(index % 50)", key: "",
                filename: "", contentType: "image/jpeg", width: 1, height: 1, size: 1, sha256: "",
                visibility: .private, createdAt: 1_700_000_000_000 + Int64(index) * 1000)
            // One to four tags, popular ones (person, car) far more often than the rest.
            var carried: [String: Int] = [:]
            for _ in 0..<(1 + Int(generator.next() % 4)) {
                let rank = Int(Double(tags.count) * pow(Double(generator.next() % 10_000) / 10_000, 2.2))
                carried[tags[min(rank, tags.count - 1)], default: 0] += 1
            }
            entries.append((image, carried))
        }
        let rows = entries
        try await store.database.write { db in
            for (image, carried) in rows {
                try TaggedImageRow(image, tagging: .done).insert(db)
                for (tag, count) in carried {
                    try VisibleTagRow(
                        imageId: image.id, tag: tag, count: count, confidence: 0.5, source: "auto", owner: image.owner,
                        createdAt: image.createdAt
                    ).insert(db)
                }
            }
        }
        let scan = entries.filter { $0.image.owner == owner }.map { (id: $0.image.id, createdAt: $0.image.createdAt, tags: $0.tags) }
        let scanned = scan.reversed() as ReversedCollection
        print(
            "Tag index: \(images) images of one owner (+\(images / 5) of others), 20 tags, \(String(format: "%.1f", (ContinuousClock.now - populate).microseconds / 1e6)) s to build; SQLite WAL, one reader\n"
        )
        let queries: [(String, [TagTerm])] = [
            ("one popular tag (person)", [TagTerm(tag: "person")]),
            ("one rare tag (kite)", [TagTerm(tag: "kite")]),
            ("two tags (car, dog)", [TagTerm(tag: "car"), TagTerm(tag: "dog")]),
            ("two tags with counts (person:2, car)", [TagTerm(tag: "person", count: 2), TagTerm(tag: "car")]),
            ("three tags (person, car, bicycle)", [TagTerm(tag: "person"), TagTerm(tag: "car"), TagTerm(tag: "bicycle")]),
            ("two rare tags (kite, umbrella)", [TagTerm(tag: "kite"), TagTerm(tag: "umbrella")]),
        ]
        print(
            "query (page of 50)".padding(toLength: 40, withPad: " ", startingAt: 0)
                + "index p50 / p99".padding(toLength: 24, withPad: " ", startingAt: 0)
                + "full scan p50".padding(toLength: 16, withPad: " ", startingAt: 0) + "target")
        var all: [Double] = []
        for (name, terms) in queries {
            // First pages and the pages after them, as a client paging through would ask.
            var latencies: [Double] = []
            var cursor: String?
            for round in 0..<400 {
                let after = try QueryCursor(round % 4 == 0 ? nil : cursor)
                let start = ContinuousClock.now
                let page = try await store.database.read { db in
                    try TagStore.query(db, owner: owner, terms: terms, after: after, limit: 50)
                }
                latencies.append((ContinuousClock.now - start).microseconds)
                cursor = page.nextCursor
            }
            all += latencies
            var scans: [Double] = []
            for _ in 0..<5 {
                let start = ContinuousClock.now
                var found = 0
                for image in scanned where terms.allSatisfy({ (image.tags[$0.tag] ?? 0) >= $0.count }) {
                    found += 1
                    if found > 50 { break }
                }
                scans.append((ContinuousClock.now - start).microseconds)
            }
            latencies.sort()
            scans.sort()
            print(
                name.padding(toLength: 40, withPad: " ", startingAt: 0)
                    + String(format: "%.2f / %.2f ms", latencies[latencies.count / 2] / 1000, latencies[latencies.count * 99 / 100] / 1000)
                    .padding(toLength: 24, withPad: " ", startingAt: 0)
                    + String(format: "%.2f ms", scans[2] / 1000).padding(toLength: 16, withPad: " ", startingAt: 0)
                    + "p99 < 5 ms")
        }
        all.sort()
        print(
            "all queries".padding(toLength: 40, withPad: " ", startingAt: 0)
                + String(format: "%.2f / %.2f ms", all[all.count / 2] / 1000, all[all.count * 99 / 100] / 1000)
                .padding(toLength: 40, withPad: " ", startingAt: 0) + "p99 < 5 ms")
        let counts = try await store.database.read { db in try TagStore.tagCounts(db, owner: owner) }
        print("\nGET /v1/tags for the owner: \(counts.items.count) tags, most used \(counts.items.first.map { "\($0.tag) ×\($0.images)" } ?? "-")")
        print("(The full scan walks the owner's images newest first in memory, already decoded: a lower bound for a store without a tag index.)")
    }
}

/// A small deterministic generator, so that every run builds the same index.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
