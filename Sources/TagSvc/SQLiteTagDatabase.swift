import Contracts
import Detection
import Foundation
import GRDB
import TagIndex
import Wire

/// TagSvc's state in its SQLite file (`TagIndex.TagStore`: `DATA/tag/tags.sqlite`, WAL), the visible tags
/// also in memory for queries. One process writes it.
struct SQLiteTagDatabase: TagDatabase {
    let tags: TagStore

    init(folder: String) throws { tags = try TagStore(folder: folder) }

    var database: DatabasePool { tags.database }

    // MARK: Images and tags

    func setVisibility(imageId: String, visibility: Visibility) async throws {
        try await database.write { db in
            try db.execute(
                sql: "UPDATE image SET visibility = ? WHERE id = ?", arguments: [visibility.rawValue, imageId])
        }
    }

    func recordTagging(_ image: ImageRecord, outcome: Result<[DetectedTag], WireError>, notifications: Notifications)
        async throws -> [String]
    {
        try await database.write { [tags] db -> [String] in
            var row = try TaggedImageRow.fetchOne(db, key: image.id) ?? TaggedImageRow(image)
            row.visibility = image.visibility.rawValue
            try db.execute(sql: "DELETE FROM autoTag WHERE imageId = ?", arguments: [image.id])
            switch outcome {
            case .success(let detected):
                (row.tagging, row.error) = (TaggingState.done.rawValue, nil)
                try row.save(db)
                for tag in detected {
                    try db.execute(
                        sql: "INSERT INTO autoTag (imageId, tag, count, confidence) VALUES (?, ?, ?, ?)",
                        arguments: [image.id, tag.tag, tag.count, tag.confidence])
                }
            case .failure(let error):
                (row.tagging, row.error) = (TaggingState.error.rawValue, error.message)
                try row.save(db)
            }
            let gained = try tags.refreshVisible(db, image: row)
            try Self.queue(db, image: row, gained: gained, notifications)
            return gained
        }
    }

    func markTaggingFailed(_ event: StoreEvent, reason: String) async throws {
        try await database.write { db in
            var row =
                try TaggedImageRow.fetchOne(db, key: event.imageId)
                ?? TaggedImageRow(
                    id: event.imageId, owner: event.owner, visibility: event.visibility.rawValue,
                    createdAt: event.createdAt, tagging: TaggingState.error.rawValue)
            (row.tagging, row.error) = (TaggingState.error.rawValue, reason)
            try row.save(db)
        }
    }

    func forget(imageId: String) async throws {
        try await database.write { [tags] db in try tags.forget(db, imageIds: [imageId]) }
    }

    func tags(of ids: [String]) async throws -> [String: (TaggedImageRow, [ImageTag])] {
        try await database.read { db in try TagStore.tags(db, of: ids) }
    }

    func query(owner: String, terms: [TagTerm], after: QueryCursor, limit: Int) async throws -> TaggedPage {
        try await tags.query(owner: owner, terms: terms, after: after, limit: limit)
    }

    func tagCounts(owner: String) async throws -> TagCounts {
        try await database.read { db in try TagStore.tagCounts(db, owner: owner) }
    }

    func edit(owner: String, current: [ImageRecord], ids: [String], _ edit: TagEdit, notifications: Notifications)
        async throws -> (items: [ImageTags], gained: Bool)
    {
        try await database.write { [tags] db -> ([ImageTags], Bool) in
            for image in current {
                if var row = try TaggedImageRow.fetchOne(db, key: image.id) {
                    if row.visibility != image.visibility.rawValue {
                        row.visibility = image.visibility.rawValue
                        try row.update(db)
                    }
                } else {
                    try TaggedImageRow(image).insert(db)
                }
            }
            let vouched = Set(current.map(\.id))
            var anyGained = false
            for id in ids {
                guard vouched.contains(id), let image = try TaggedImageRow.fetchOne(db, key: id), image.owner == owner
                else {
                    throw WireError(.notFound, "No image \(id)")
                }
                switch edit {
                case .set(let terms):
                    let automatic = try String.fetchAll(
                        db, sql: "SELECT tag FROM autoTag WHERE imageId = ?", arguments: [image.id])
                    try db.execute(sql: "DELETE FROM manualTag WHERE imageId = ?", arguments: [image.id])
                    let kept = Set(terms.map(\.tag))
                    for term in terms { try Self.setManual(db, image: image.id, tag: term.tag, count: term.count) }
                    for tag in automatic where !kept.contains(tag) {
                        try Self.setManual(db, image: image.id, tag: tag, count: 0)
                    }
                case .bulk(let add, let remove):
                    for term in add { try Self.setManual(db, image: image.id, tag: term.tag, count: term.count) }
                    for tag in remove { try Self.setManual(db, image: image.id, tag: tag, count: 0) }
                }
                let gained = try tags.refreshVisible(db, image: image)
                try Self.queue(db, image: image, gained: gained, notifications)
                anyGained = anyGained || !gained.isEmpty
            }
            let found = try TagStore.tags(db, of: ids)
            return (ids.compactMap { found[$0].map { ImageTags($0.0, $0.1) } }, anyGained)
        }
    }

    private static func setManual(_ db: Database, image: String, tag: String, count: Int) throws {
        try db.execute(
            sql: """
                INSERT INTO manualTag (imageId, tag, count) VALUES (?, ?, ?)
                ON CONFLICT(imageId, tag) DO UPDATE SET count = excluded.count
                """, arguments: [image, tag, count])
    }

    func deleteOwner(_ owner: String) async throws -> Int {
        try await database.write { [tags] db in
            let images = try tags.forget(db, owner: owner)
            try db.execute(sql: "DELETE FROM subscription WHERE owner = ?", arguments: [owner])
            return images
        }
    }

    /// Queues one notification per active subscription that `gained` concerns: the subscriber's own image,
    /// or a public one; in the transaction that changed the tags, so a change is never without them.
    private static func queue(_ db: Database, image: TaggedImageRow, gained: [String], _ notifications: Notifications)
        throws
    {
        guard !gained.isEmpty else { return }
        let marks = Array(repeating: "?", count: gained.count).joined(separator: ",")
        var arguments = StatementArguments(gained)
        arguments += [image.owner, image.visibility]
        let subscriptions = try Row.fetchAll(
            db,
            sql: """
                SELECT s.id, s.baseURL, GROUP_CONCAT(t.tag, '\u{1F}') AS matched
                FROM subscriptionTag t JOIN subscription s ON s.id = t.subscriptionId
                WHERE t.tag IN (\(marks)) AND s.status = 'active' AND (s.owner = ? OR ? = 'public')
                GROUP BY s.id
                """, arguments: arguments)
        guard !subscriptions.isEmpty else { return }
        let tags = try TagStore.tags(db, of: [image.id])[image.id]?.1 ?? []
        let time = notifications.now
        for subscription in subscriptions {
            let (id, baseURL): (String, String) = (subscription["id"], subscription["baseURL"])
            let matched = (subscription["matched"] as String).split(separator: "\u{1F}").map(String.init).sorted()
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO delivery
                        (subscriptionId, imageId, dedupe, payload, status, attempts, nextAttemptAt, createdAt)
                    VALUES (?, ?, ?, ?, 'pending', 0, ?, ?)
                    """,
                arguments: [
                    id, image.id, "\(id)|\(image.id)|\(notifications.reason)",
                    notifications.payload(id, baseURL, matched, image, tags), time, time,
                ])
        }
    }

    // MARK: Subscriptions

    func admit(_ event: RateEvent, now: Int64, forgetBefore: Int64?) async throws -> Int64? {
        try await database.write { db in
            if let forgetBefore { try TagStore.pruneRateEvents(db, before: forgetBefore) }
            return try Self.admit(db, [event], now: now)
        }
    }

    private static func admit(_ db: Database, _ events: [RateEvent], now: Int64) throws -> Int64? {
        for event in events {
            if let wait = try TagStore.rateEventWait(
                db, kind: event.kind, key: event.key, now: now, window: event.window, limit: event.limit)
            {
                return wait
            }
        }
        for event in events { try TagStore.recordRateEvent(db, kind: event.kind, key: event.key, now: now) }
        return nil
    }

    func insert(_ subscription: SubscriptionRow, tags: [String], confirmations: [RateEvent], now: Int64)
        async throws -> Int64?
    {
        try await database.write { db in
            if let wait = try Self.admit(db, confirmations, now: now) { return wait }
            try db.execute(
                sql: """
                    INSERT INTO subscription (id, owner, channel, target, secret, status, confirmToken, baseURL, createdAt)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    subscription.id, subscription.owner, subscription.channel.rawValue, subscription.target,
                    subscription.secret, subscription.status.rawValue, subscription.confirmToken,
                    subscription.baseURL, subscription.createdAt,
                ])
            for tag in tags {
                try db.execute(
                    sql: "INSERT INTO subscriptionTag (tag, subscriptionId) VALUES (?, ?)",
                    arguments: [tag, subscription.id])
            }
            return nil
        }
    }

    func subscriptions(owner: String) async throws -> [Subscription] {
        try await database.read { db in
            let ids = try String.fetchAll(
                db, sql: "SELECT id FROM subscription WHERE owner = ? ORDER BY createdAt, id", arguments: [owner])
            return try ids.compactMap { try Self.subscription(db, id: $0, owner: owner) }
        }
    }

    func subscription(id: String, owner: String) async throws -> Subscription? {
        try await database.read { db in try Self.subscription(db, id: id, owner: owner) }
    }

    func subscriptionCount(owner: String) async throws -> Int {
        try await database.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM subscription WHERE owner = ?", arguments: [owner]) ?? 0
        }
    }

    func deleteSubscription(id: String, owner: String) async throws -> Bool {
        try await database.write { db in
            try db.execute(sql: "DELETE FROM subscription WHERE id = ? AND owner = ?", arguments: [id, owner])
            return db.changesCount > 0
        }
    }

    func confirmSubscription(token: String, createdAfter: Int64) async throws -> Subscription? {
        try await database.write { db -> Subscription? in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT id, owner FROM subscription WHERE confirmToken = ? AND createdAt > ?",
                    arguments: [token, createdAfter])
            else { return nil }
            try db.execute(
                sql: "UPDATE subscription SET status = ?, confirmToken = NULL WHERE id = ?",
                arguments: [SubscriptionStatus.active.rawValue, row["id"] as String])
            return try Self.subscription(db, id: row["id"], owner: row["owner"])
        }
    }

    private static func subscription(_ db: Database, id: String, owner: String) throws -> Subscription? {
        guard
            let row = try Row.fetchOne(
                db, sql: "SELECT * FROM subscription WHERE id = ? AND owner = ?", arguments: [id, owner])
        else { return nil }
        let tags = try String.fetchAll(
            db, sql: "SELECT tag FROM subscriptionTag WHERE subscriptionId = ? ORDER BY tag", arguments: [id])
        var counts: [String: Int] = [:]
        for stat in try Row.fetchAll(
            db, sql: "SELECT status, COUNT(*) AS n FROM delivery WHERE subscriptionId = ? GROUP BY status",
            arguments: [id])
        {
            counts[stat["status"]] = stat["n"]
        }
        let lastError = try String.fetchOne(
            db,
            sql: """
                SELECT lastError FROM delivery WHERE subscriptionId = ? AND lastError IS NOT NULL
                ORDER BY COALESCE(finishedAt, createdAt) DESC, id DESC LIMIT 1
                """, arguments: [id])
        return Subscription(
            id: id, owner: owner, tags: tags, channel: SubscriptionChannel(rawValue: row["channel"]) ?? .email,
            target: row["target"], status: SubscriptionStatus(rawValue: row["status"]) ?? .pending,
            createdAt: row["createdAt"], delivered: counts[DeliveryStatus.delivered.rawValue] ?? 0,
            pending: counts[DeliveryStatus.pending.rawValue] ?? 0,
            dropped: counts[DeliveryStatus.dropped.rawValue] ?? 0, lastError: lastError)
    }

    // MARK: The notification queue

    func claimDeliveries(limit: Int, perOwner: Int, now: Int64, lease: Int64) async throws -> [Delivery] {
        guard limit > 0 else { return [] }
        return try await database.write { db in
            // Ranked per account with the held ones first, so they count against the account's share.
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT id, payload, attempts, channel, target, secret FROM (
                        SELECT d.id, d.payload, d.attempts, d.nextAttemptAt, s.channel, s.target, s.secret,
                            COALESCE(d.claimedUntil, 0) > ?1 AS held,
                            ROW_NUMBER() OVER (
                                PARTITION BY s.owner ORDER BY COALESCE(d.claimedUntil, 0) > ?1 DESC, d.nextAttemptAt, d.id
                            ) AS rank
                        FROM delivery d JOIN subscription s ON s.id = d.subscriptionId
                        WHERE d.status = 'pending' AND (d.nextAttemptAt <= ?1 OR COALESCE(d.claimedUntil, 0) > ?1)
                    ) WHERE rank <= ?2 AND NOT held ORDER BY nextAttemptAt, id LIMIT ?3
                    """, arguments: [now, perOwner, limit])
            let taken = rows.map { row in
                Delivery(
                    id: row["id"], payload: row["payload"], attempts: row["attempts"],
                    channel: SubscriptionChannel(rawValue: row["channel"]) ?? .email, target: row["target"],
                    secret: row["secret"])
            }
            for delivery in taken {
                try db.execute(
                    sql: "UPDATE delivery SET claimedUntil = ? WHERE id = ?", arguments: [now + lease, delivery.id])
            }
            return taken
        }
    }

    func nextDeliveryDue() async throws -> Int64? {
        try await database.read { db in
            try Int64.fetchOne(
                db,
                sql: "SELECT MIN(MAX(nextAttemptAt, COALESCE(claimedUntil, 0))) FROM delivery WHERE status = 'pending'")
        }
    }

    func finishDelivery(_ id: Int64, _ outcome: DeliveryOutcome) async throws {
        try await database.write { db in
            switch outcome {
            case .delivered(let attempts, let time):
                try db.execute(
                    sql: """
                        UPDATE delivery SET status = 'delivered', attempts = ?, finishedAt = ?, claimedUntil = NULL
                        WHERE id = ?
                        """, arguments: [attempts, time, id])
            case .retry(let attempts, let next, let error):
                try db.execute(
                    sql: """
                        UPDATE delivery SET attempts = ?, nextAttemptAt = ?, lastError = ?, claimedUntil = NULL
                        WHERE id = ?
                        """, arguments: [attempts, next, error, id])
            case .dropped(let attempts, let time, let error):
                try db.execute(
                    sql: """
                        UPDATE delivery SET status = 'dropped', attempts = ?, finishedAt = ?, lastError = ?,
                            claimedUntil = NULL
                        WHERE id = ?
                        """, arguments: [attempts, time, error, id])
            }
        }
    }

    func pruneDeliveries(before: Int64) async throws -> Int {
        try await database.write { db in
            try db.execute(
                sql: "DELETE FROM delivery WHERE status IN ('delivered', 'dropped') AND finishedAt < ?",
                arguments: [before])
            return db.changesCount
        }
    }

    // MARK: The detection consumer's attempts

    func countAttempt(consumer: String, sequence: Int64) async throws -> Int {
        try await database.write { db in try TagStore.countAttempt(db, consumer: consumer, sequence: sequence) }
    }

    func recordFailure(consumer: String, sequence: Int64, reason: String) async throws {
        try await database.write { db in
            try TagStore.recordFailure(db, consumer: consumer, sequence: sequence, reason: reason)
        }
    }

    func lastFailure(consumer: String, sequence: Int64) async throws -> String? {
        try await database.read { db in try TagStore.lastFailure(db, consumer: consumer, sequence: sequence) }
    }

    func uncountAttempt(consumer: String, sequence: Int64) async throws {
        try await database.write { db in try TagStore.uncountAttempt(db, consumer: consumer, sequence: sequence) }
    }

    func settled(consumer: String, sequence: Int64) async throws {
        try await database.write { db in
            try db.execute(
                sql: "DELETE FROM eventAttempt WHERE consumer = ? AND sequence = ?", arguments: [consumer, sequence])
        }
    }
}
