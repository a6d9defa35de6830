import Contracts
import GRDB
import Wire

extension StoreService {
    /// Longest a poll waits for new events, whatever the caller asks.
    static let maximumPollWait = 30_000

    /// Events after the consumer's committed cursor, waiting up to `waitMillis` for the first one. A consumer
    /// polling for the first time is registered, so that pruning waits for it from then on; it starts from
    /// the oldest event kept, and its first batch says how far the log had been pruned.
    func poll(_ request: PollEventsRequest) async throws -> EventBatch {
        try Self.checkConsumer(request.consumer)
        guard (1...1000).contains(request.limit) else { throw WireError(.invalidArgument, "limit must be 1…1000") }
        let (cursor, pruned) = try await registeredCursor(request.consumer)
        let deadline = ContinuousClock.now + .milliseconds(min(max(0, request.waitMillis), Self.maximumPollWait))
        while true {
            if lastSequence.load(ordering: .acquiring) > cursor {
                let rows = try await store.database.read { db in
                    try EventRow.filter(Column("sequence") > cursor).order(Column("sequence")).limit(request.limit)
                        .fetchAll(db)
                }
                if !rows.isEmpty {
                    return EventBatch(events: rows.map(\.event), committed: cursor, prunedThrough: pruned)
                }
            }
            guard ContinuousClock.now < deadline else {
                return EventBatch(events: [], committed: cursor, prunedThrough: pruned)
            }
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

    /// The consumer's cursor, and how far the log was pruned when that is past the events it has handled.
    /// A consumer not seen before is registered at the oldest event kept.
    private func registeredCursor(_ consumer: String) async throws -> (cursor: Int64, pruned: Int64?) {
        let (cursor, prunedThrough) = try await store.database.read { db in
            (
                try Int64.fetchOne(db, sql: "SELECT cursor FROM consumer WHERE name = ?", arguments: [consumer]),
                try Int64.fetchOne(db, sql: "SELECT prunedThrough FROM eventLog") ?? 0
            )
        }
        if let cursor { return (cursor, prunedThrough > cursor ? prunedThrough : nil) }
        let registered = try await store.database.write { db in
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO consumer (name, cursor) SELECT ?, prunedThrough FROM eventLog
                    """, arguments: [consumer])
            return try Int64.fetchOne(db, sql: "SELECT cursor FROM consumer WHERE name = ?", arguments: [consumer]) ?? 0
        }
        logger.notice(
            "Event consumer registered",
            metadata: ["consumer": "\(consumer)", "from": "\(registered + 1)", "prunedThrough": "\(prunedThrough)"])
        return (registered, prunedThrough > 0 ? prunedThrough : nil)
    }

    /// Removes events older than the retention that every registered consumer has committed past, and
    /// returns how many went. With no consumer registered, every old event goes.
    func pruneEvents() async throws -> Int {
        let cutoff = nowMillis() - settings.eventRetention
        return try await store.database.write { db in
            let through =
                try Int64.fetchOne(db, sql: "SELECT MIN(cursor) FROM consumer")
                ?? Int64.fetchOne(db, sql: "SELECT MAX(sequence) FROM event") ?? 0
            let last = try Int64.fetchOne(
                db, sql: "SELECT MAX(sequence) FROM event WHERE sequence <= ? AND createdAt < ?",
                arguments: [through, cutoff])
            guard let last else { return 0 }
            try db.execute(
                sql: "DELETE FROM event WHERE sequence <= ? AND createdAt < ?", arguments: [last, cutoff])
            let removed = db.changesCount
            try db.execute(
                sql: "UPDATE eventLog SET prunedThrough = MAX(prunedThrough, ?)", arguments: [last])
            return removed
        }
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
