import Contracts
import GRDB
import Synchronization
import Wire

/// The visible tags of every image, kept in memory for tag queries: per owner and tag, the images that
/// carry it oldest first (new images append), and per image its tags. SQLite stays the source of truth:
/// the postings are read from `visibleTag` when the store opens and changed by each committed transaction
/// that changes visible tags (`TagStore.refreshVisible`, deletions), in commit order.
public final class TagPostings: Sendable {
    struct Entry: Sendable {
        var createdAt: Int64
        var imageId: String
        var count: Int

        /// Whether this entry comes before `createdAt`/`imageId` in (time, id) order.
        func precedes(_ createdAt: Int64, _ imageId: String) -> Bool {
            self.createdAt < createdAt || (self.createdAt == createdAt && self.imageId < imageId)
        }
    }

    struct Image: Sendable {
        var owner: String
        var createdAt: Int64
        var tags: [String: Int]
    }

    struct State: Sendable {
        var lists: [String: [String: [Entry]]] = [:]
        var images: [String: Image] = [:]
    }

    private let state = Mutex(State())

    init() {}

    /// Reads every visible tag.
    func load(_ db: Database) throws {
        var loaded = State()
        let rows = try Row.fetchCursor(
            db, sql: "SELECT owner, tag, createdAt, imageId, count FROM visibleTag ORDER BY createdAt, imageId")
        while let row = try rows.next() {
            let (owner, tag, createdAt, imageId, count): (String, String, Int64, String, Int) =
                (row[0], row[1], row[2], row[3], row[4])
            loaded.lists[owner, default: [:]][tag, default: []].append(
                Entry(createdAt: createdAt, imageId: imageId, count: count))
            loaded.images[imageId, default: Image(owner: owner, createdAt: createdAt, tags: [:])].tags[tag] = count
        }
        state.withLock { $0 = loaded }
    }

    /// Makes `tags` the image's visible tags (none: the image is gone).
    func set(imageId: String, owner: String, createdAt: Int64, tags: [String: Int]) {
        state.withLock { state in
            if let old = state.images.removeValue(forKey: imageId) {
                for tag in old.tags.keys {
                    Self.remove(imageId, createdAt: old.createdAt, from: &state.lists[old.owner]![tag]!)
                }
                if state.lists[old.owner]?.values.allSatisfy(\.isEmpty) == true { state.lists[old.owner] = nil }
            }
            guard !tags.isEmpty else { return }
            state.images[imageId] = Image(owner: owner, createdAt: createdAt, tags: tags)
            for (tag, count) in tags {
                Self.insert(
                    Entry(createdAt: createdAt, imageId: imageId, count: count),
                    into: &state.lists[owner, default: [:]][tag, default: []])
            }
        }
    }

    func removeOwner(_ owner: String) {
        state.withLock { state in
            guard let lists = state.lists.removeValue(forKey: owner) else { return }
            for list in lists.values { for entry in list { state.images[entry.imageId] = nil } }
        }
    }

    /// The owner's images carrying every term, newest first, strictly before `after`: at most `limit + 1`
    /// (the extra one says there is a next page). Walks the list of the term with the fewest images and
    /// checks the others by image.
    func query(owner: String, terms: [TagTerm], after: QueryCursor, limit: Int) -> [(id: String, createdAt: Int64)] {
        state.withLock { state in
            guard let lists = state.lists[owner] else { return [] }
            let candidates = terms.map { ($0, lists[$0.tag] ?? []) }
            guard let (driver, list) = candidates.min(by: { $0.1.count < $1.1.count }), !list.isEmpty else {
                return []
            }
            let others = terms.filter { $0 != driver }
            var found: [(id: String, createdAt: Int64)] = []
            // The first entry at or past the cursor; the walk goes back from just before it.
            var index = Self.firstIndex(notBefore: after.createdAt, after.id, in: list) - 1
            while index >= 0, found.count <= limit {
                let entry = list[index]
                index -= 1
                guard entry.count >= driver.count else { continue }
                if !others.isEmpty {
                    guard let image = state.images[entry.imageId],
                        others.allSatisfy({ (image.tags[$0.tag] ?? 0) >= $0.count })
                    else { continue }
                }
                found.append((entry.imageId, entry.createdAt))
            }
            return found
        }
    }

    private static func firstIndex(notBefore createdAt: Int64, _ imageId: String, in list: [Entry]) -> Int {
        var (low, high) = (0, list.count)
        while low < high {
            let middle = (low + high) / 2
            if list[middle].precedes(createdAt, imageId) { low = middle + 1 } else { high = middle }
        }
        return low
    }

    private static func insert(_ entry: Entry, into list: inout [Entry]) {
        if list.last.map({ $0.precedes(entry.createdAt, entry.imageId) }) ?? true {
            list.append(entry)
        } else {
            list.insert(entry, at: firstIndex(notBefore: entry.createdAt, entry.imageId, in: list))
        }
    }

    private static func remove(_ imageId: String, createdAt: Int64, from list: inout [Entry]) {
        var index = firstIndex(notBefore: createdAt, imageId, in: list)
        while index < list.count, list[index].createdAt == createdAt {
            if list[index].imageId == imageId {
                list.remove(at: index)
                return
            }
            index += 1
        }
    }
}
