import Contracts
import GRDB
import Wire

extension StoreService {
    /// Longest a poll waits for new events, whatever the caller asks.
    static let maximumPollWait = 30_000

    /// Events after the consumer's committed cursor, waiting up to `waitMillis` for the first one.
    func poll(_ request: PollEventsRequest) async throws -> EventBatch {
        try Self.checkConsumer(request.consumer)
        guard (1...1000).contains(request.limit) else { throw WireError(.invalidArgument, "limit must be 1…1000") }
        let cursor = try await committedCursor(request.consumer)
        let deadline = ContinuousClock.now + .milliseconds(min(max(0, request.waitMillis), Self.maximumPollWait))
        while true {
            if lastSequence.load(ordering: .acquiring) > cursor {
                let rows = try await store.database.read { db in
                    try EventRow.filter(Column("sequence") > cursor).order(Column("sequence")).limit(request.limit)
                        .fetchAll(db)
                }
                if !rows.isEmpty { return EventBatch(events: rows.map(\.event), committed: cursor) }
            }
            guard ContinuousClock.now < deadline else { return EventBatch(events: [], committed: cursor) }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// The owner's events after `request.after`, waiting up to `waitMillis` for the first one.
    func readEvents(_ request: ReadEventsRequest) async throws -> EventBatch {
        guard (1...1000).contains(request.limit) else { throw WireError(.invalidArgument, "limit must be 1…1000") }
        guard request.after >= 0 else { throw WireError(.invalidArgument, "after must be 0 or more") }
        let deadline = ContinuousClock.now + .milliseconds(min(max(0, request.waitMillis), Self.maximumPollWait))
        var seen = request.after
        while true {
            let last = lastSequence.load(ordering: .acquiring)
            if last > seen {
                let rows = try await store.database.read { db in
                    try EventRow.filter(Column("owner") == request.owner && Column("sequence") > request.after)
                        .order(Column("sequence")).limit(request.limit).fetchAll(db)
                }
                if !rows.isEmpty { return EventBatch(events: rows.map(\.event), committed: last) }
                seen = last
            }
            guard ContinuousClock.now < deadline, !Task.isCancelled else {
                return EventBatch(events: [], committed: last)
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    func recordJobChanged(_ request: JobChangedRequest) async throws {
        let (nowMillis, trace) = (self.nowMillis, WireTrace.current)
        let sequence = try await store.database.write { db in
            var event = EventRow(
                .jobChanged, subject: request.jobId, owner: request.owner, at: nowMillis(), trace: trace)
            try event.insert(db)
            return event.sequence ?? 0
        }
        published(sequence)
    }

    /// Appends `image.tagsChanged` for each of the caller's images among `ids`, all in one write, or none.
    func recordTagsChanged(_ request: ImagesRequest) async throws {
        guard request.ids.count <= 500 else { throw WireError(.invalidArgument, "At most 500 ids at once") }
        let (nowMillis, trace) = (self.nowMillis, WireTrace.current)
        let sequence = try await store.database.write { db in
            let images = try ImageRow.filter(request.ids.contains(Column("id")) && Column("owner") == request.caller)
                .fetchAll(db)
            let found = Dictionary(images.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            var sequence: Int64 = 0
            for id in request.ids {
                guard let image = found[id] else { throw WireError(.notFound, "No image \(id)") }
                var event = EventRow(.imageTagsChanged, image, at: nowMillis(), trace: trace)
                try event.insert(db)
                sequence = event.sequence ?? sequence
            }
            return sequence
        }
        published(sequence)
    }

    /// Moves the consumer's cursor forward to `sequence` (never back, never past the log's end).
    func commit(_ request: CommitEventsRequest) async throws {
        try Self.checkConsumer(request.consumer)
        guard request.sequence >= 0, request.sequence <= lastSequence.load(ordering: .acquiring) else {
            throw WireError(.outOfRange, "No event \(request.sequence) in the log")
        }
        try await store.database.write { db in
            try db.execute(
                sql: """
                    INSERT INTO consumer (name, cursor) VALUES (?1, ?2)
                    ON CONFLICT(name) DO UPDATE SET cursor = MAX(cursor, excluded.cursor)
                    """, arguments: [request.consumer, request.sequence])
        }
    }

    func committedCursor(_ consumer: String) async throws -> Int64 {
        try await store.database.read { db in
            try Int64.fetchOne(db, sql: "SELECT cursor FROM consumer WHERE name = ?", arguments: [consumer])
        } ?? 0
    }

    /// Records that events up to `sequence` are committed, waking pollers.
    func published(_ sequence: Int64) {
        guard sequence > 0 else { return }
        _ = lastSequence.max(sequence, ordering: .releasing)
    }

    static func checkConsumer(_ name: String) throws(WireError) {
        guard (1...100).contains(name.utf8.count), !name.unicodeScalars.contains(where: { $0.value < 0x20 }) else {
            throw WireError(.invalidArgument, "A consumer name is 1…100 printable characters")
        }
    }
}
