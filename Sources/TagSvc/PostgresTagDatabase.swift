import Contracts
import Detection
import Foundation
import Logging
import PostgresNIO
import PostgresSupport
import TagIndex
import Wire

/// TagSvc's state in PostgreSQL (schema `tag`), shared by every TagSvc replica. Queries read the visible
/// tags from the table (replicas have no common memory), by (owner, tag, newest first). What SQLite gets
/// from its single writer is explicit: a transaction that changes an image's tags locks the image's row
/// first (ids in order, so two edits never deadlock); a rate window is checked and counted under an
/// advisory lock on its key; notifications are claimed under one advisory lock, so the per-account share
/// holds across replicas, with `FOR UPDATE SKIP LOCKED` past rows another replica is finishing.
struct PostgresTagDatabase: TagDatabase {
    let database: PostgresSchema

    static let schema = "tag"

    static let migrations: [PostgresMigration] = [
        PostgresMigration(
            "v1",
            [
                """
                CREATE TABLE image (
                    id TEXT PRIMARY KEY,
                    owner TEXT NOT NULL,
                    visibility TEXT NOT NULL,
                    createdAt BIGINT NOT NULL,
                    tagging TEXT NOT NULL,
                    error TEXT
                )
                """,
                "CREATE INDEX image_owner ON image (owner)",
                """
                CREATE TABLE autoTag (
                    imageId TEXT NOT NULL REFERENCES image (id) ON DELETE CASCADE,
                    tag TEXT NOT NULL,
                    count BIGINT NOT NULL,
                    confidence DOUBLE PRECISION NOT NULL,
                    PRIMARY KEY (imageId, tag)
                )
                """,
                """
                CREATE TABLE manualTag (
                    imageId TEXT NOT NULL REFERENCES image (id) ON DELETE CASCADE,
                    tag TEXT NOT NULL,
                    count BIGINT NOT NULL,
                    PRIMARY KEY (imageId, tag)
                )
                """,
                """
                CREATE TABLE visibleTag (
                    imageId TEXT NOT NULL REFERENCES image (id) ON DELETE CASCADE,
                    tag TEXT NOT NULL,
                    count BIGINT NOT NULL,
                    confidence DOUBLE PRECISION,
                    source TEXT NOT NULL,
                    owner TEXT NOT NULL,
                    createdAt BIGINT NOT NULL,
                    PRIMARY KEY (imageId, tag)
                )
                """,
                "CREATE INDEX visibleTag_query ON visibleTag (owner, tag, createdAt DESC, imageId DESC)",
                """
                CREATE TABLE subscription (
                    id TEXT PRIMARY KEY,
                    owner TEXT NOT NULL,
                    channel TEXT NOT NULL,
                    target TEXT NOT NULL,
                    secret TEXT NOT NULL,
                    status TEXT NOT NULL,
                    confirmToken TEXT UNIQUE,
                    baseURL TEXT NOT NULL,
                    createdAt BIGINT NOT NULL
                )
                """,
                "CREATE INDEX subscription_owner ON subscription (owner, createdAt)",
                """
                CREATE TABLE subscriptionTag (
                    tag TEXT NOT NULL,
                    subscriptionId TEXT NOT NULL REFERENCES subscription (id) ON DELETE CASCADE,
                    PRIMARY KEY (tag, subscriptionId)
                )
                """,
                "CREATE INDEX subscriptionTag_subscription ON subscriptionTag (subscriptionId)",
                """
                CREATE TABLE delivery (
                    id BIGSERIAL PRIMARY KEY,
                    subscriptionId TEXT NOT NULL REFERENCES subscription (id) ON DELETE CASCADE,
                    imageId TEXT NOT NULL,
                    dedupe TEXT NOT NULL UNIQUE,
                    payload TEXT NOT NULL,
                    status TEXT NOT NULL,
                    attempts BIGINT NOT NULL,
                    nextAttemptAt BIGINT NOT NULL,
                    lastError TEXT,
                    createdAt BIGINT NOT NULL,
                    finishedAt BIGINT,
                    claimedUntil BIGINT
                )
                """,
                "CREATE INDEX delivery_due ON delivery (status, nextAttemptAt)",
                "CREATE INDEX delivery_subscription ON delivery (subscriptionId, status)",
                """
                CREATE TABLE eventAttempt (
                    consumer TEXT NOT NULL,
                    sequence BIGINT NOT NULL,
                    attempts BIGINT NOT NULL,
                    lastError TEXT,
                    PRIMARY KEY (consumer, sequence)
                )
                """,
                "CREATE TABLE rateEvent (kind TEXT NOT NULL, key TEXT NOT NULL, at BIGINT NOT NULL)",
                "CREATE INDEX rateEvent_key ON rateEvent (kind, key, at)",
                "CREATE INDEX rateEvent_at ON rateEvent (at)",
            ])
    ]

    static func open(_ url: DatabaseURL, logger: Logger) async throws -> PostgresTagDatabase {
        try await open(url, schema: schema, logger: logger)
    }

    /// In another schema (the tests give each store a schema of its own).
    static func open(_ url: DatabaseURL, schema: String, logger: Logger) async throws -> PostgresTagDatabase {
        PostgresTagDatabase(
            database: try await PostgresSchema.open(url, schema: schema, migrations: migrations, logger: logger))
    }

    private var logger: Logger { database.logger }

    // MARK: Rows

    private static func image(_ row: PostgresRow) throws -> TaggedImageRow {
        let (id, owner, visibility, createdAt, tagging, error) = try row.decode(
            (String, String, String, Int64, String, String?).self)
        return TaggedImageRow(
            id: id, owner: owner, visibility: visibility, createdAt: createdAt, tagging: tagging, error: error)
    }

    private static func lockedImage(_ connection: PostgresConnection, _ id: String, _ logger: Logger) async throws
        -> TaggedImageRow?
    {
        try await connection.query(
            "SELECT id, owner, visibility, createdAt, tagging, error FROM image WHERE id = \(id) FOR UPDATE",
            logger: logger
        ).collect().map(Self.image).first
    }

    private static func save(_ connection: PostgresConnection, _ row: TaggedImageRow, _ logger: Logger) async throws {
        try await connection.query(
            """
            INSERT INTO image (id, owner, visibility, createdAt, tagging, error)
            VALUES (\(row.id), \(row.owner), \(row.visibility), \(row.createdAt), \(row.tagging), \(row.error))
            ON CONFLICT (id) DO UPDATE SET visibility = excluded.visibility, tagging = excluded.tagging,
                error = excluded.error
            """, logger: logger)
    }

    // MARK: Images and tags

    func setVisibility(imageId: String, visibility: Visibility) async throws {
        try await database.query("UPDATE image SET visibility = \(visibility.rawValue) WHERE id = \(imageId)")
    }

    func recordTagging(_ image: ImageRecord, outcome: Result<[DetectedTag], WireError>, notifications: Notifications)
        async throws -> [String]
    {
        let logger = self.logger
        return try await database.transaction { connection in
            // Learned if new, then locked: a redelivered event on another replica waits for this one.
            try await connection.query(
                """
                INSERT INTO image (id, owner, visibility, createdAt, tagging)
                VALUES (\(image.id), \(image.owner), \(image.visibility.rawValue), \(image.createdAt),
                    \(TaggingState.pending.rawValue))
                ON CONFLICT (id) DO NOTHING
                """, logger: logger)
            guard var row = try await Self.lockedImage(connection, image.id, logger) else {
                throw WireError(.internal, "The image row went missing")
            }
            row.visibility = image.visibility.rawValue
            try await connection.query("DELETE FROM autoTag WHERE imageId = \(image.id)", logger: logger)
            switch outcome {
            case .success(let detected):
                (row.tagging, row.error) = (TaggingState.done.rawValue, nil)
                for tag in detected {
                    try await connection.query(
                        """
                        INSERT INTO autoTag (imageId, tag, count, confidence)
                        VALUES (\(image.id), \(tag.tag), \(Int64(tag.count)), \(Double(tag.confidence)))
                        """, logger: logger)
                }
            case .failure(let error):
                (row.tagging, row.error) = (TaggingState.error.rawValue, error.message)
            }
            try await Self.save(connection, row, logger)
            let gained = try await Self.refreshVisible(connection, image: row, logger)
            try await Self.queue(connection, image: row, gained: gained, notifications, logger)
            return gained
        }
    }

    func markTaggingFailed(_ event: StoreEvent, reason: String) async throws {
        try await database.query(
            """
            INSERT INTO image (id, owner, visibility, createdAt, tagging, error)
            VALUES (\(event.imageId), \(event.owner), \(event.visibility.rawValue), \(event.createdAt),
                \(TaggingState.error.rawValue), \(reason))
            ON CONFLICT (id) DO UPDATE SET tagging = excluded.tagging, error = excluded.error
            """)
    }

    func forget(imageId: String) async throws {
        try await database.query("DELETE FROM image WHERE id = \(imageId)")
    }

    func tags(of ids: [String]) async throws -> [String: (TaggedImageRow, [ImageTag])] {
        let logger = self.logger
        return try await database.transaction { connection in try await Self.tags(connection, of: ids, logger) }
    }

    private static func tags(_ connection: PostgresConnection, of ids: [String], _ logger: Logger) async throws
        -> [String: (TaggedImageRow, [ImageTag])]
    {
        guard !ids.isEmpty else { return [:] }
        var found: [String: (TaggedImageRow, [ImageTag])] = [:]
        for row in try await connection.query(
            "SELECT id, owner, visibility, createdAt, tagging, error FROM image WHERE id = ANY(\(ids))",
            logger: logger
        ).collect() {
            let image = try Self.image(row)
            found[image.id] = (image, [])
        }
        for row in try await connection.query(
            """
            SELECT imageId, tag, count, confidence, source FROM visibleTag WHERE imageId = ANY(\(ids))
            ORDER BY imageId, tag
            """, logger: logger
        ).collect() {
            let (imageId, tag, count, confidence, source) = try row.decode(
                (String, String, Int64, Double?, String).self)
            found[imageId]?.1.append(
                ImageTag(
                    tag: tag, count: Int(clamping: count), confidence: confidence,
                    source: TagSource(rawValue: source) ?? .manual))
        }
        return found
    }

    func query(owner: String, terms: [TagTerm], after: QueryCursor, limit: Int) async throws -> TaggedPage {
        guard let driver = terms.first else { return TaggedPage(items: [], nextCursor: nil) }
        var binds = PostgresBindings()
        binds.append(owner)
        binds.append(driver.tag)
        binds.append(Int64(driver.count))
        binds.append(after.createdAt)
        binds.append(after.id)
        var sql = """
            SELECT v.imageId, v.createdAt FROM visibleTag v
            WHERE v.owner = $1 AND v.tag = $2 AND v.count >= $3 AND (v.createdAt, v.imageId) < ($4, $5)
            """
        for term in terms.dropFirst() {
            binds.append(term.tag)
            binds.append(Int64(term.count))
            sql += """
                 AND EXISTS (SELECT 1 FROM visibleTag o WHERE o.imageId = v.imageId AND o.tag = $\(binds.count - 1)
                    AND o.count >= $\(binds.count))
                """
        }
        binds.append(Int64(limit) + 1)
        sql += " ORDER BY v.createdAt DESC, v.imageId DESC LIMIT $\(binds.count)"
        let logger = self.logger
        return try await database.transaction { connection in
            let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
                .collect().map { row in
                    let (id, createdAt) = try row.decode((String, Int64).self)
                    return (id: id, createdAt: createdAt)
                }
            let (page, next) = PageCursor.split(rows, limit: limit) {
                QueryCursor(createdAt: $0.createdAt, id: $0.id).text
            }
            let found = try await Self.tags(connection, of: page.map(\.id), logger)
            return TaggedPage(
                items: page.compactMap { found[$0.id].map { ImageTags($0.0, $0.1) } }, nextCursor: next)
        }
    }

    func tagCounts(owner: String) async throws -> TagCounts {
        let rows = try await database.query(
            """
            SELECT tag, COUNT(*) AS images FROM visibleTag WHERE owner = \(owner)
            GROUP BY tag ORDER BY images DESC, tag
            """)
        return TagCounts(
            items: try rows.map { row in
                let (tag, images) = try row.decode((String, Int64).self)
                return TagCount(tag: tag, images: Int(clamping: images))
            })
    }

    func edit(owner: String, current: [ImageRecord], ids: [String], _ edit: TagEdit, notifications: Notifications)
        async throws -> (items: [ImageTags], gained: Bool)
    {
        let logger = self.logger
        return try await database.transaction { connection in
            for image in current.sorted(by: { $0.id < $1.id }) {
                try await connection.query(
                    """
                    INSERT INTO image (id, owner, visibility, createdAt, tagging)
                    VALUES (\(image.id), \(image.owner), \(image.visibility.rawValue), \(image.createdAt),
                        \(TaggingState.pending.rawValue))
                    ON CONFLICT (id) DO UPDATE SET visibility = excluded.visibility
                    """, logger: logger)
            }
            let vouched = Set(current.map(\.id))
            var locked: [String: TaggedImageRow] = [:]
            for id in ids.sorted() {
                guard vouched.contains(id), let image = try await Self.lockedImage(connection, id, logger),
                    image.owner == owner
                else {
                    throw WireError(.notFound, "No image \(id)")
                }
                locked[id] = image
            }
            var anyGained = false
            for id in ids {
                let image = locked[id]!
                switch edit {
                case .set(let terms):
                    let automatic = try await connection.query(
                        "SELECT tag FROM autoTag WHERE imageId = \(id)", logger: logger
                    ).collect().map { try $0.decode(String.self) }
                    try await connection.query("DELETE FROM manualTag WHERE imageId = \(id)", logger: logger)
                    let kept = Set(terms.map(\.tag))
                    for term in terms { try await Self.setManual(connection, id, term.tag, term.count, logger) }
                    for tag in automatic where !kept.contains(tag) {
                        try await Self.setManual(connection, id, tag, 0, logger)
                    }
                case .bulk(let add, let remove):
                    for term in add { try await Self.setManual(connection, id, term.tag, term.count, logger) }
                    for tag in remove { try await Self.setManual(connection, id, tag, 0, logger) }
                }
                let gained = try await Self.refreshVisible(connection, image: image, logger)
                try await Self.queue(connection, image: image, gained: gained, notifications, logger)
                anyGained = anyGained || !gained.isEmpty
            }
            let found = try await Self.tags(connection, of: ids, logger)
            return (ids.compactMap { found[$0].map { ImageTags($0.0, $0.1) } }, anyGained)
        }
    }

    private static func setManual(
        _ connection: PostgresConnection, _ image: String, _ tag: String, _ count: Int, _ logger: Logger
    ) async throws {
        try await connection.query(
            """
            INSERT INTO manualTag (imageId, tag, count) VALUES (\(image), \(tag), \(Int64(count)))
            ON CONFLICT (imageId, tag) DO UPDATE SET count = excluded.count
            """, logger: logger)
    }

    /// The image's visible tags from its automatic and manual ones (a manual count of 0 hides an automatic
    /// tag); the tags it gained.
    private static func refreshVisible(_ connection: PostgresConnection, image: TaggedImageRow, _ logger: Logger)
        async throws -> [String]
    {
        let before = Set(
            try await connection.query("SELECT tag FROM visibleTag WHERE imageId = \(image.id)", logger: logger)
                .collect().map { try $0.decode(String.self) })
        var visible: [String: (count: Int64, confidence: Double?, source: TagSource)] = [:]
        for row in try await connection.query(
            "SELECT tag, count, confidence FROM autoTag WHERE imageId = \(image.id)", logger: logger
        ).collect() {
            let (tag, count, confidence) = try row.decode((String, Int64, Double).self)
            visible[tag] = (count, confidence, .auto)
        }
        for row in try await connection.query(
            "SELECT tag, count FROM manualTag WHERE imageId = \(image.id)", logger: logger
        ).collect() {
            let (tag, count) = try row.decode((String, Int64).self)
            visible[tag] = count > 0 ? (count, nil, .manual) : nil
        }
        try await connection.query("DELETE FROM visibleTag WHERE imageId = \(image.id)", logger: logger)
        for (tag, entry) in visible {
            try await connection.query(
                """
                INSERT INTO visibleTag (imageId, tag, count, confidence, source, owner, createdAt)
                VALUES (\(image.id), \(tag), \(entry.count), \(entry.confidence), \(entry.source.rawValue),
                    \(image.owner), \(image.createdAt))
                """, logger: logger)
        }
        return visible.keys.filter { !before.contains($0) }.sorted()
    }

    /// Queues one notification per active subscription that `gained` concerns: the subscriber's own image,
    /// or a public one.
    private static func queue(
        _ connection: PostgresConnection, image: TaggedImageRow, gained: [String], _ notifications: Notifications,
        _ logger: Logger
    ) async throws {
        guard !gained.isEmpty else { return }
        let subscriptions = try await connection.query(
            """
            SELECT s.id, s.baseURL, array_agg(t.tag ORDER BY t.tag)
            FROM subscriptionTag t JOIN subscription s ON s.id = t.subscriptionId
            WHERE t.tag = ANY(\(gained)) AND s.status = 'active'
                AND (s.owner = \(image.owner) OR \(image.visibility) = 'public')
            GROUP BY s.id, s.baseURL
            """, logger: logger
        ).collect().map { try $0.decode((String, String, [String]).self) }
        guard !subscriptions.isEmpty else { return }
        let tags = try await Self.tags(connection, of: [image.id], logger)[image.id]?.1 ?? []
        let time = notifications.now
        for (id, baseURL, matched) in subscriptions {
            let payload = notifications.payload(id, baseURL, matched, image, tags)
            try await connection.query(
                """
                INSERT INTO delivery (subscriptionId, imageId, dedupe, payload, status, attempts, nextAttemptAt, createdAt)
                VALUES (\(id), \(image.id), \("\(id)|\(image.id)|\(notifications.reason)"), \(payload), 'pending', 0,
                    \(time), \(time))
                ON CONFLICT (dedupe) DO NOTHING
                """, logger: logger)
        }
    }

    func deleteOwner(_ owner: String) async throws -> Int {
        let logger = self.logger
        return try await database.transaction { connection in
            let images = try await connection.query(
                "DELETE FROM image WHERE owner = \(owner) RETURNING id", logger: logger
            ).collect().count
            try await connection.query("DELETE FROM subscription WHERE owner = \(owner)", logger: logger)
            return images
        }
    }

    // MARK: Subscriptions

    func admit(_ event: RateEvent, now: Int64, forgetBefore: Int64?) async throws -> Int64? {
        let logger = self.logger
        return try await database.transaction { connection in
            if let forgetBefore {
                try await connection.query("DELETE FROM rateEvent WHERE at < \(forgetBefore)", logger: logger)
            }
            return try await Self.admit(connection, [event], now: now, logger)
        }
    }

    /// Checks every window under its key's lock (held to commit), then counts each; the first wait otherwise.
    private static func admit(_ connection: PostgresConnection, _ events: [RateEvent], now: Int64, _ logger: Logger)
        async throws -> Int64?
    {
        for event in events.sorted(by: { ($0.kind, $0.key) < ($1.kind, $1.key) }) {
            try await connection.query(
                "SELECT pg_advisory_xact_lock(hashtext(\("tag.rate.\(event.kind).\(event.key)")))", logger: logger)
        }
        for event in events {
            let times = try await connection.query(
                """
                SELECT at FROM rateEvent WHERE kind = \(event.kind) AND key = \(event.key) AND at > \(now - event.window)
                ORDER BY at DESC LIMIT \(Int64(max(event.limit, 1)))
                """, logger: logger
            ).collect().map { try $0.decode(Int64.self) }
            if times.count >= event.limit, let oldest = times.last { return max(1, oldest + event.window - now) }
        }
        for event in events {
            try await connection.query(
                "INSERT INTO rateEvent (kind, key, at) VALUES (\(event.kind), \(event.key), \(now))", logger: logger)
        }
        return nil
    }

    func insert(_ subscription: SubscriptionRow, tags: [String], confirmations: [RateEvent], now: Int64)
        async throws -> Int64?
    {
        let logger = self.logger
        return try await database.transaction { connection in
            if let wait = try await Self.admit(connection, confirmations, now: now, logger) { return wait }
            try await connection.query(
                """
                INSERT INTO subscription (id, owner, channel, target, secret, status, confirmToken, baseURL, createdAt)
                VALUES (\(subscription.id), \(subscription.owner), \(subscription.channel.rawValue),
                    \(subscription.target), \(subscription.secret), \(subscription.status.rawValue),
                    \(subscription.confirmToken), \(subscription.baseURL), \(subscription.createdAt))
                """, logger: logger)
            for tag in tags {
                try await connection.query(
                    "INSERT INTO subscriptionTag (tag, subscriptionId) VALUES (\(tag), \(subscription.id))",
                    logger: logger)
            }
            return nil
        }
    }

    func subscriptions(owner: String) async throws -> [Subscription] {
        let logger = self.logger
        return try await database.transaction { connection in
            var found: [Subscription] = []
            for id in try await connection.query(
                "SELECT id FROM subscription WHERE owner = \(owner) ORDER BY createdAt, id", logger: logger
            ).collect().map({ try $0.decode(String.self) }) {
                if let subscription = try await Self.subscription(connection, id: id, owner: owner, logger) {
                    found.append(subscription)
                }
            }
            return found
        }
    }

    func subscription(id: String, owner: String) async throws -> Subscription? {
        let logger = self.logger
        return try await database.transaction { connection in
            try await Self.subscription(connection, id: id, owner: owner, logger)
        }
    }

    func subscriptionCount(owner: String) async throws -> Int {
        let rows = try await database.query("SELECT COUNT(*) FROM subscription WHERE owner = \(owner)")
        return Int(clamping: try rows.first?.decode(Int64.self) ?? 0)
    }

    func deleteSubscription(id: String, owner: String) async throws -> Bool {
        !(try await database.query("DELETE FROM subscription WHERE id = \(id) AND owner = \(owner) RETURNING id"))
            .isEmpty
    }

    func confirmSubscription(token: String, createdAfter: Int64) async throws -> Subscription? {
        let logger = self.logger
        return try await database.transaction { connection in
            guard
                let (id, owner) = try await connection.query(
                    """
                    UPDATE subscription SET status = \(SubscriptionStatus.active.rawValue), confirmToken = NULL
                    WHERE confirmToken = \(token) AND createdAt > \(createdAfter)
                    RETURNING id, owner
                    """, logger: logger
                ).collect().map({ try $0.decode((String, String).self) }).first
            else { return nil }
            return try await Self.subscription(connection, id: id, owner: owner, logger)
        }
    }

    private static func subscription(
        _ connection: PostgresConnection, id: String, owner: String, _ logger: Logger
    ) async throws -> Subscription? {
        guard
            let (channel, target, status, createdAt) = try await connection.query(
                "SELECT channel, target, status, createdAt FROM subscription WHERE id = \(id) AND owner = \(owner)",
                logger: logger
            ).collect().map({ try $0.decode((String, String, String, Int64).self) }).first
        else { return nil }
        let tags = try await connection.query(
            "SELECT tag FROM subscriptionTag WHERE subscriptionId = \(id) ORDER BY tag", logger: logger
        ).collect().map { try $0.decode(String.self) }
        var counts: [String: Int] = [:]
        for row in try await connection.query(
            "SELECT status, COUNT(*) FROM delivery WHERE subscriptionId = \(id) GROUP BY status", logger: logger
        ).collect() {
            let (status, count) = try row.decode((String, Int64).self)
            counts[status] = Int(clamping: count)
        }
        let lastError = try await connection.query(
            """
            SELECT lastError FROM delivery WHERE subscriptionId = \(id) AND lastError IS NOT NULL
            ORDER BY COALESCE(finishedAt, createdAt) DESC, id DESC LIMIT 1
            """, logger: logger
        ).collect().first?.decode(String.self)
        return Subscription(
            id: id, owner: owner, tags: tags, channel: SubscriptionChannel(rawValue: channel) ?? .email,
            target: target, status: SubscriptionStatus(rawValue: status) ?? .pending, createdAt: createdAt,
            delivered: counts[DeliveryStatus.delivered.rawValue] ?? 0,
            pending: counts[DeliveryStatus.pending.rawValue] ?? 0,
            dropped: counts[DeliveryStatus.dropped.rawValue] ?? 0, lastError: lastError)
    }

    // MARK: The notification queue

    func claimDeliveries(limit: Int, perOwner: Int, now: Int64, lease: Int64) async throws -> [Delivery] {
        guard limit > 0 else { return [] }
        let logger = self.logger
        return try await database.transaction { connection in
            // One claim at a time, so each account's share counts what every replica holds.
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext('tag.deliveries'))", logger: logger)
            let candidates = try await connection.query(
                """
                SELECT id FROM (
                    SELECT d.id, d.nextAttemptAt, COALESCE(d.claimedUntil, 0) > \(now) AS held,
                        ROW_NUMBER() OVER (
                            PARTITION BY s.owner
                            ORDER BY COALESCE(d.claimedUntil, 0) > \(now) DESC, d.nextAttemptAt, d.id
                        ) AS rank
                    FROM delivery d JOIN subscription s ON s.id = d.subscriptionId
                    WHERE d.status = 'pending' AND (d.nextAttemptAt <= \(now) OR COALESCE(d.claimedUntil, 0) > \(now))
                ) ranked WHERE rank <= \(Int64(perOwner)) AND NOT held ORDER BY nextAttemptAt, id LIMIT \(Int64(limit))
                """, logger: logger
            ).collect().map { try $0.decode(Int64.self) }
            guard !candidates.isEmpty else { return [] }
            let taken = try await connection.query(
                """
                UPDATE delivery d SET claimedUntil = \(now + lease)
                FROM subscription s
                WHERE s.id = d.subscriptionId AND d.id IN (
                    SELECT id FROM delivery WHERE id = ANY(\(candidates)) AND status = 'pending' FOR UPDATE SKIP LOCKED)
                RETURNING d.id, d.payload, d.attempts, d.nextAttemptAt, s.channel, s.target, s.secret
                """, logger: logger
            ).collect().map { row in
                let (id, payload, attempts, next, channel, target, secret) = try row.decode(
                    (Int64, String, Int64, Int64, String, String, String).self)
                return (
                    next,
                    Delivery(
                        id: id, payload: payload, attempts: Int(clamping: attempts),
                        channel: SubscriptionChannel(rawValue: channel) ?? .email, target: target, secret: secret)
                )
            }
            return taken.sorted { ($0.0, $0.1.id) < ($1.0, $1.1.id) }.map(\.1)
        }
    }

    func nextDeliveryDue() async throws -> Int64? {
        let rows = try await database.query(
            "SELECT MIN(GREATEST(nextAttemptAt, COALESCE(claimedUntil, 0))) FROM delivery WHERE status = 'pending'")
        return try rows.first?.decode(Int64?.self)
    }

    func finishDelivery(_ id: Int64, _ outcome: DeliveryOutcome) async throws {
        switch outcome {
        case .delivered(let attempts, let time):
            try await database.query(
                """
                UPDATE delivery SET status = 'delivered', attempts = \(Int64(attempts)), finishedAt = \(time),
                    claimedUntil = NULL
                WHERE id = \(id)
                """)
        case .retry(let attempts, let next, let error):
            try await database.query(
                """
                UPDATE delivery SET attempts = \(Int64(attempts)), nextAttemptAt = \(next), lastError = \(error),
                    claimedUntil = NULL
                WHERE id = \(id)
                """)
        case .dropped(let attempts, let time, let error):
            try await database.query(
                """
                UPDATE delivery SET status = 'dropped', attempts = \(Int64(attempts)), finishedAt = \(time),
                    lastError = \(error), claimedUntil = NULL
                WHERE id = \(id)
                """)
        }
    }

    func pruneDeliveries(before: Int64) async throws -> Int {
        try await database.query(
            "DELETE FROM delivery WHERE status IN ('delivered', 'dropped') AND finishedAt < \(before) RETURNING id"
        ).count
    }

    // MARK: The detection consumer's attempts

    func countAttempt(consumer: String, sequence: Int64) async throws -> Int {
        let rows = try await database.query(
            """
            INSERT INTO eventAttempt (consumer, sequence, attempts) VALUES (\(consumer), \(sequence), 1)
            ON CONFLICT (consumer, sequence) DO UPDATE SET attempts = eventAttempt.attempts + 1
            RETURNING attempts
            """)
        return Int(clamping: try rows.first?.decode(Int64.self) ?? 1)
    }

    func recordFailure(consumer: String, sequence: Int64, reason: String) async throws {
        try await database.query(
            """
            UPDATE eventAttempt SET lastError = \(reason) WHERE consumer = \(consumer) AND sequence = \(sequence)
            """)
    }

    func lastFailure(consumer: String, sequence: Int64) async throws -> String? {
        try await database.query(
            "SELECT lastError FROM eventAttempt WHERE consumer = \(consumer) AND sequence = \(sequence)"
        ).first?.decode(String?.self)
    }

    func uncountAttempt(consumer: String, sequence: Int64) async throws {
        try await database.query(
            """
            UPDATE eventAttempt SET attempts = attempts - 1 WHERE consumer = \(consumer) AND sequence = \(sequence)
            """)
    }

    func settled(consumer: String, sequence: Int64) async throws {
        try await database.query(
            "DELETE FROM eventAttempt WHERE consumer = \(consumer) AND sequence = \(sequence)")
    }
}
