import Contracts
import Wire

extension StoreService {
    /// Longest a poll waits for new events, whatever the caller asks.
    static let maximumPollWait = 30_000

    /// Events after the consumer's committed cursors in the partitions the polling replica holds (all of
    /// them while it is the consumer's only one), waiting up to `waitMillis` for the first one; a long wait
    /// renews the holder's leases (and takes its share again) every third of the lease. A consumer polling
    /// for the first time is registered, so that pruning waits for it from then on; it starts from the
    /// oldest event kept, and its first batch says how far the log had been pruned.
    func poll(_ request: PollEventsRequest) async throws -> EventBatch {
        try Self.checkConsumer(request.consumer)
        let holder = try Self.holder(request.holder)
        guard (1...1000).contains(request.limit) else { throw WireError(.invalidArgument, "limit must be 1…1000") }
        let lease = settings.consumerLease
        var claim = try await store.claim(consumer: request.consumer, holder: holder, now: nowMillis(), lease: lease)
        if claim.registered {
            logger.notice(
                "Event consumer registered",
                metadata: [
                    "consumer": "\(request.consumer)", "from": "\(claim.committed + 1)",
                    "prunedThrough": "\(claim.prunedThrough)",
                ])
        }
        let pruned: Int64? =
            claim.registered
            ? (claim.prunedThrough > 0 ? claim.prunedThrough : nil)
            : (claim.prunedThrough > claim.committed ? claim.prunedThrough : nil)
        let committed = claim.committed
        let deadline = ContinuousClock.now + .milliseconds(min(max(0, request.waitMillis), Self.maximumPollWait))
        let renewal = Duration.milliseconds(max(1, lease / 3))
        var renewAt = ContinuousClock.now + renewal
        var seen: Int64 = -1
        while true {
            let last = try await latestSequence()
            // Read after every claim (its partitions may be new), then whenever the log grew.
            if seen < 0 || last > seen, !claim.partitions.isEmpty {
                let rows = try await store.events(consumer: request.consumer, holder: holder, limit: request.limit)
                if !rows.isEmpty {
                    return EventBatch(events: rows.map(\.event), committed: committed, prunedThrough: pruned)
                }
                seen = last
            }
            guard ContinuousClock.now < deadline, !Task.isCancelled else {
                return EventBatch(events: [], committed: committed, prunedThrough: pruned)
            }
            if ContinuousClock.now >= renewAt {
                claim = try await store.claim(
                    consumer: request.consumer, holder: holder, now: nowMillis(), lease: lease)
                (renewAt, seen) = (ContinuousClock.now + renewal, -1)
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
            let last = try await latestSequence()
            if last > seen {
                let rows = try await store.events(owner: request.owner, after: request.after, limit: request.limit)
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
        let event = EventRow(
            .jobChanged, subject: request.jobId, owner: request.owner, at: nowMillis(), trace: WireTrace.current)
        published(try await store.appendJobChanged(event))
    }

    /// Appends `image.tagsChanged` for each of the caller's images among `ids`, all in one write, or none.
    func recordTagsChanged(_ request: ImagesRequest) async throws {
        guard request.ids.count <= 500 else { throw WireError(.invalidArgument, "At most 500 ids at once") }
        published(
            try await store.appendTagsChanged(
                caller: request.caller, ids: request.ids, at: nowMillis(), trace: WireTrace.current))
    }

    /// Moves the cursors of the partitions the committing replica holds forward to `sequence` (never back,
    /// never past the log's end) and renews its leases, so a replica that commits as it goes keeps its
    /// partitions through a batch longer than the lease. A replica that lost its partitions meanwhile (its lease ran out and
    /// another took them) moves nothing: the other handles those events again, as handlers allow.
    func commit(_ request: CommitEventsRequest) async throws {
        try Self.checkConsumer(request.consumer)
        let holder = try Self.holder(request.holder)
        guard request.sequence >= 0 else { throw WireError(.outOfRange, "No event \(request.sequence) in the log") }
        if request.sequence > lastSequence.load(ordering: .acquiring) {
            // Another replica may have appended it.
            let stored = try await store.lastSequence()
            published(stored)
            guard request.sequence <= stored else {
                throw WireError(.outOfRange, "No event \(request.sequence) in the log")
            }
        }
        let moved = try await store.commit(
            consumer: request.consumer, holder: holder, through: request.sequence, now: nowMillis(),
            lease: settings.consumerLease)
        if !moved {
            logger.info(
                "A commit from a replica that no longer holds its partitions moved nothing",
                metadata: ["consumer": "\(request.consumer)", "holder": "\(holder)"])
        }
    }

    /// Removes events older than the retention that every registered consumer has committed past, and
    /// returns how many went. With no consumer registered, every old event goes.
    func pruneEvents() async throws -> Int {
        try await store.pruneEvents(cutoff: nowMillis() - settings.eventRetention)
    }

    /// Records that events up to `sequence` are committed, waking pollers.
    func published(_ sequence: Int64) {
        guard sequence > 0 else { return }
        _ = lastSequence.max(sequence, ordering: .releasing)
    }

    /// The replica's name, or the one every poll without a name shares.
    static func holder(_ name: String?) throws(WireError) -> String {
        guard let name else { return "-" }
        try checkName(name, "A holder name")
        return name
    }

    static func checkConsumer(_ name: String) throws(WireError) { try checkName(name, "A consumer name") }

    /// 1…100 bytes without control characters.
    private static func checkName(_ name: String, _ what: String) throws(WireError) {
        guard (1...100).contains(name.utf8.count), !name.unicodeScalars.contains(where: { $0.value < 0x20 }) else {
            throw WireError(.invalidArgument, "\(what) is 1…100 printable characters")
        }
    }
}
