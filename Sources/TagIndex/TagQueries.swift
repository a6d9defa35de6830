import Contracts
import Foundation
import GRDB
import Wire

/// Tag names as stored: trimmed, lower case, inner runs of white space as one space, 1…64 characters of
/// letters, digits, space, `-`, `_` and `.`.
public enum TagName {
    public static func normalized(_ text: String) throws(WireError) -> String {
        let words = text.lowercased().split(whereSeparator: \.isWhitespace)
        let tag = words.joined(separator: " ")
        guard (1...64).contains(tag.count),
            tag.unicodeScalars.allSatisfy({
                CharacterSet.alphanumerics.contains($0) || $0 == " " || $0 == "-" || $0 == "_" || $0 == "."
            })
        else {
            throw WireError(
                .invalidArgument, "A tag is 1…64 letters, digits, spaces, '-', '_' or '.', got '\(text.prefix(80))'")
        }
        return tag
    }

    /// Normalized terms, each tag once, 1…10 of them for a query (any number up to 100 for an edit), counts
    /// 1…1000.
    public static func terms(_ terms: [TagTerm], editing: Bool = false) throws(WireError) -> [TagTerm] {
        if !editing, !(1...10).contains(terms.count) { throw WireError(.invalidArgument, "Give 1…10 tags") }
        guard terms.count <= 100 else { throw WireError(.invalidArgument, "At most 100 tags at once") }
        var seen = Set<String>()
        var result: [TagTerm] = []
        for term in terms {
            let tag = try normalized(term.tag)
            guard (1...1000).contains(term.count) else {
                throw WireError(.invalidArgument, "A tag's count is 1…1000, got \(term.count) for '\(tag)'")
            }
            guard seen.insert(tag).inserted else { throw WireError(.invalidArgument, "'\(tag)' is given twice") }
            result.append(TagTerm(tag: tag, count: term.count))
        }
        return result
    }
}

/// Where a tag query's page ends: the last image's time and id (`<createdAt>.<id>`).
public struct QueryCursor: Equatable, Sendable {
    public var createdAt: Int64
    public var id: String

    public init(createdAt: Int64, id: String) { (self.createdAt, self.id) = (createdAt, id) }

    /// Past the newest image without a cursor.
    public init(_ text: String?) throws(WireError) {
        guard let text else {
            self.init(createdAt: .max, id: "")
            return
        }
        guard let dot = text.firstIndex(of: "."),
            text[..<dot].utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            let time = Int64(text[..<dot]), time >= 0,
            text.index(after: dot) < text.endIndex
        else { throw WireError(.invalidArgument, "Bad cursor") }
        self.init(createdAt: time, id: String(text[text.index(after: dot)...]))
    }

    public var text: String { "\(createdAt).\(id)" }
}

extension TagStore {
    /// The owner's images carrying every term (normalized), newest first, after `after`: the ids from
    /// the postings in memory, their tags and tagging states from SQLite.
    public func query(owner: String, terms: [TagTerm], after: QueryCursor, limit: Int) async throws -> TaggedPage {
        let rows = postings.query(owner: owner, terms: terms, after: after, limit: limit)
        let (page, next) = PageCursor.split(rows, limit: limit) { QueryCursor(createdAt: $0.createdAt, id: $0.id).text }
        let found = try await database.read { db in try Self.tags(db, of: page.map(\.id)) }
        return TaggedPage(items: page.compactMap { found[$0.id].map { ImageTags($0.0, $0.1) } }, nextCursor: next)
    }

    /// The owner's tags with how many images carry each, most used first.
    public static func tagCounts(_ db: Database, owner: String) throws -> TagCounts {
        let rows = try Row.fetchAll(
            db, sql: "SELECT tag, images FROM tagStat WHERE owner = ? AND images > 0 ORDER BY images DESC, tag",
            arguments: [owner])
        return TagCounts(items: rows.map { TagCount(tag: $0["tag"], images: $0["images"]) })
    }
}
