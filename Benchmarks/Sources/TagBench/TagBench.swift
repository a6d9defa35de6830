import BenchSupport
import Contracts
import Foundation
import GRDB
import TagIndex
import Wire

/// Tag queries against TagSvc's index with 100,000 images of one owner carrying 20 tags (plus 20,000 of
/// other owners), as TagSvc runs them: one, two and three tags with counts, first pages and later pages.
/// Beside it, the same queries answered from the SQLite index alone, and the issue's target.
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
        var store: TagStore? = try TagStore(folder: folder)
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
        try await store!.database.write { db in
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
        // Opened again, as TagSvc starts: the postings are read from SQLite.
        let opening = ContinuousClock.now
        let reopened = try TagStore(folder: folder)
        let openSeconds = (ContinuousClock.now - opening).microseconds / 1e6
        let scan = entries.filter { $0.image.owner == owner }.map { (id: $0.image.id, createdAt: $0.image.createdAt, tags: $0.tags) }
        store = nil
        _ = scan
        print(
            "Tag index: \(images) images of one owner (+\(images / 5) of others), 20 tags, built in \(String(format: "%.1f", (ContinuousClock.now - populate).microseconds / 1e6 - openSeconds)) s; opening it (postings read into memory) \(String(format: "%.2f", openSeconds)) s\n"
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
            "query (page of 50, with its tags)".padding(toLength: 40, withPad: " ", startingAt: 0)
                + "TagSvc p50 / p99".padding(toLength: 24, withPad: " ", startingAt: 0)
                + "SQLite index only p50 / p99".padding(toLength: 30, withPad: " ", startingAt: 0) + "target")
        var all: [Double] = []
        var allSQL: [Double] = []
        func percentiles(_ values: [Double]) -> String {
            let sorted = values.sorted()
            return String(format: "%.2f / %.2f ms", sorted[sorted.count / 2] / 1000, sorted[sorted.count * 99 / 100] / 1000)
        }
        for (name, terms) in queries {
            // First pages and the pages after them, as a client paging through would ask.
            var latencies: [Double] = []
            var sqlLatencies: [Double] = []
            var cursor: String?
            var sqlCursor: String?
            for round in 0..<400 {
                let after = try QueryCursor(round % 4 == 0 ? nil : cursor)
                let start = ContinuousClock.now
                let page = try await reopened.query(owner: owner, terms: terms, after: after, limit: 50)
                latencies.append((ContinuousClock.now - start).microseconds)
                cursor = page.nextCursor
                let sqlAfter = try QueryCursor(round % 4 == 0 ? nil : sqlCursor)
                let sqlStart = ContinuousClock.now
                let sqlPage = try await reopened.database.read { db in
                    try sqliteOnly(db, owner: owner, terms: terms, after: sqlAfter, limit: 50)
                }
                sqlLatencies.append((ContinuousClock.now - sqlStart).microseconds)
                sqlCursor = sqlPage.nextCursor
                guard page.items.map(\.imageId) == sqlPage.items.map(\.imageId) else {
                    throw Disagreement(query: name)
                }
            }
            all += latencies
            allSQL += sqlLatencies
            print(
                name.padding(toLength: 40, withPad: " ", startingAt: 0)
                    + percentiles(latencies).padding(toLength: 24, withPad: " ", startingAt: 0)
                    + percentiles(sqlLatencies).padding(toLength: 30, withPad: " ", startingAt: 0) + "p99 < 5 ms")
        }
        print(
            "all queries".padding(toLength: 40, withPad: " ", startingAt: 0)
                + percentiles(all).padding(toLength: 24, withPad: " ", startingAt: 0)
                + percentiles(allSQL).padding(toLength: 30, withPad: " ", startingAt: 0) + "p99 < 5 ms")
        let counts = try await reopened.database.read { db in try TagStore.tagCounts(db, owner: owner) }
        print("\nGET /v1/tags for the owner: \(counts.items.count) tags, most used \(counts.items.first.map { "\($0.tag) ×\($0.images)" } ?? "-")")
        print("(SQLite index only: the same query answered from the visibleTag index alone, driven by the rarest tag, as TagSvc did before its postings.)")
    }
}

/// The owner's images carrying every term (normalized), newest first, after `after`. The scan walks the
/// index of the term whose tag the fewest of the owner's images carry and checks the others per image
/// by primary key.
func sqliteOnly(_ db: Database, owner: String, terms: [TagTerm], after: QueryCursor, limit: Int) throws
    -> TaggedPage
{
    var stats: [String: Int] = [:]
    for term in terms {
        let statement = try db.cachedStatement(sql: "SELECT images FROM tagStat WHERE owner = ? AND tag = ?")
        stats[term.tag] = try Int.fetchOne(statement, arguments: [owner, term.tag]) ?? 0
    }
    guard let driver = terms.min(by: { stats[$0.tag]! < stats[$1.tag]! }), stats[driver.tag]! > 0 else {
        return TaggedPage(items: [], nextCursor: nil)
    }
    var sql = """
        SELECT v.imageId, v.createdAt FROM visibleTag v
        WHERE v.owner = ? AND v.tag = ? AND v.count >= ? AND (v.createdAt, v.imageId) < (?, ?)
        """
    var arguments: StatementArguments = [owner, driver.tag, driver.count, after.createdAt, after.id]
    for term in terms where term != driver {
        sql += " AND EXISTS (SELECT 1 FROM visibleTag o WHERE o.imageId = v.imageId AND o.tag = ? AND o.count >= ?)"
        arguments += [term.tag, term.count]
    }
    sql += " ORDER BY v.createdAt DESC, v.imageId DESC LIMIT ?"
    arguments += [limit + 1]
    let rows = try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments).map {
        (id: $0[0] as String, createdAt: $0[1] as Int64)
    }
    let (page, next) = PageCursor.split(rows, limit: limit) { QueryCursor(createdAt: $0.createdAt, id: $0.id).text }
    let found = try TagStore.tags(db, of: page.map(\.id))
    return TaggedPage(items: page.compactMap { found[$0.id].map { ImageTags($0.0, $0.1) } }, nextCursor: next)
}

struct Disagreement: Error, CustomStringConvertible {
    let query: String
    var description: String { "\(query): the postings and the SQLite index return different pages" }
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
