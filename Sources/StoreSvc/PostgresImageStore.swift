import Contracts
import Foundation
import Logging
import PostgresNIO
import PostgresSupport
import Wire

/// StoreSvc's metadata in PostgreSQL (schema `store`), shared by every StoreSvc replica. What SQLite gets
/// from its single writer is made explicit: a change holds an advisory lock on its owner from before its
/// transaction until its blobs are settled after the commit (so one replica never removes a blob that
/// another's change of the same owner is publishing), and every transaction that appends events holds one
/// advisory lock until it commits, so sequence numbers become visible in order and a reader that has seen
/// N has seen everything below N. A consumer's partition claims are serialized by a lock per consumer.
struct PostgresImageStore: ImageStore {
    let database: PostgresSchema

    static let schema = "store"

    var isShared: Bool { true }

    static let migrations: [PostgresMigration] = [
        PostgresMigration(
            "v1",
            [
                """
                CREATE TABLE image (
                    position BIGSERIAL PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    owner TEXT NOT NULL,
                    key TEXT NOT NULL,
                    filename TEXT NOT NULL,
                    contentType TEXT NOT NULL,
                    width BIGINT NOT NULL,
                    height BIGINT NOT NULL,
                    size BIGINT NOT NULL,
                    sha256 TEXT NOT NULL,
                    visibility TEXT NOT NULL,
                    createdAt BIGINT NOT NULL,
                    derivedFrom TEXT,
                    UNIQUE (owner, key)
                )
                """,
                "CREATE INDEX image_owner_position ON image (owner, position)",
                "CREATE INDEX image_visibility_position ON image (visibility, position)",
                "CREATE INDEX image_owner_sha ON image (owner, sha256)",
                "CREATE INDEX image_derived_from ON image (derivedFrom) WHERE derivedFrom IS NOT NULL",
                """
                CREATE TABLE derivative (
                    imageId TEXT NOT NULL REFERENCES image (id) ON DELETE CASCADE,
                    kind TEXT NOT NULL,
                    owner TEXT NOT NULL,
                    contentType TEXT NOT NULL,
                    width BIGINT NOT NULL,
                    height BIGINT NOT NULL,
                    size BIGINT NOT NULL,
                    sha256 TEXT NOT NULL,
                    PRIMARY KEY (imageId, kind)
                )
                """,
                "CREATE INDEX derivative_owner_sha ON derivative (owner, sha256)",
                """
                CREATE TABLE share (
                    imageId TEXT PRIMARY KEY REFERENCES image (id) ON DELETE CASCADE,
                    shareId TEXT NOT NULL,
                    expiresAt BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE event (
                    sequence BIGSERIAL PRIMARY KEY,
                    kind TEXT NOT NULL,
                    imageId TEXT NOT NULL,
                    owner TEXT NOT NULL,
                    visibility TEXT NOT NULL,
                    createdAt BIGINT NOT NULL,
                    trace TEXT,
                    part INTEGER NOT NULL
                )
                """,
                "CREATE INDEX event_owner_sequence ON event (owner, sequence)",
                "CREATE INDEX event_part_sequence ON event (part, sequence)",
                """
                CREATE TABLE eventLog (id INTEGER PRIMARY KEY CHECK (id = 1), prunedThrough BIGINT NOT NULL)
                """,
                "INSERT INTO eventLog (id, prunedThrough) VALUES (1, 0)",
                """
                CREATE TABLE consumerPart (
                    name TEXT NOT NULL,
                    part INTEGER NOT NULL,
                    cursor BIGINT NOT NULL,
                    holder TEXT,
                    leaseUntil BIGINT,
                    PRIMARY KEY (name, part)
                )
                """,
                """
                CREATE TABLE consumerHolder (
                    name TEXT NOT NULL,
                    holder TEXT NOT NULL,
                    seenUntil BIGINT NOT NULL,
                    PRIMARY KEY (name, holder)
                )
                """,
            ])
    ]

    static func open(_ url: DatabaseURL, logger: Logger) async throws -> PostgresImageStore {
        try await open(url, schema: schema, logger: logger)
    }

    /// In another schema (the tests give each store a schema of its own).
    static func open(_ url: DatabaseURL, schema: String, logger: Logger) async throws -> PostgresImageStore {
        PostgresImageStore(
            database: try await PostgresSchema.open(url, schema: schema, migrations: migrations, logger: logger))
    }

    // MARK: Rows

    private static let imageColumns = """
        position, id, owner, key, filename, contentType, width, height, size, sha256, visibility, createdAt,
        derivedFrom
        """
    private static let derivativeColumns = "imageId, kind, owner, contentType, width, height, size, sha256"
    private static let eventColumns = "sequence, kind, imageId, owner, visibility, createdAt, trace, part"

    private static func image(_ row: PostgresRow) throws -> ImageRow {
        let (
            position, id, owner, key, filename, contentType, width, height, size, sha256, visibility, createdAt,
            derivedFrom
        ) = try row.decode(
            (Int64, String, String, String, String, String, Int, Int, Int, String, String, Int64, String?).self)
        return ImageRow(
            position: position, id: id, owner: owner, key: key, filename: filename, contentType: contentType,
            width: width, height: height, size: size, sha256: sha256, visibility: visibility, createdAt: createdAt,
            derivedFrom: derivedFrom)
    }

    private static func derivative(_ row: PostgresRow) throws -> DerivativeRow {
        let (imageId, kind, owner, contentType, width, height, size, sha256) = try row.decode(
            (String, String, String, String, Int, Int, Int, String).self)
        return DerivativeRow(
            imageId: imageId, kind: kind, owner: owner, contentType: contentType, width: width, height: height,
            size: size, sha256: sha256)
    }

    private static func event(_ row: PostgresRow) throws -> EventRow {
        let (sequence, kind, imageId, owner, visibility, createdAt, trace, part) = try row.decode(
            (Int64, String, String, String, String, Int64, String?, Int32).self)
        return EventRow(
            sequence: sequence, kind: kind, imageId: imageId, owner: owner, visibility: visibility,
            createdAt: createdAt, trace: trace, part: Int(part))
    }

    private func images(_ query: PostgresQuery) async throws -> [ImageRow] {
        try await database.query(query).map(Self.image)
    }

    // MARK: Images

    func image(id: String) async throws -> ImageRow? {
        try await images("SELECT \(unescaped: Self.imageColumns) FROM image WHERE id = \(id)").first
    }

    func image(id: String, owner: String) async throws -> ImageRow? {
        try await images("SELECT \(unescaped: Self.imageColumns) FROM image WHERE id = \(id) AND owner = \(owner)")
            .first
    }

    func images(ids: [String]) async throws -> [ImageRow] {
        try await images("SELECT \(unescaped: Self.imageColumns) FROM image WHERE id = ANY(\(ids))")
    }

    func image(owner: String, key: String) async throws -> ImageRow? {
        try await images(
            "SELECT \(unescaped: Self.imageColumns) FROM image WHERE owner = \(owner) AND key = \(key)"
        ).first
    }

    func images(owner: String?, before position: Int64, limit: Int) async throws -> [ImageRow] {
        if let owner {
            return try await images(
                """
                SELECT \(unescaped: Self.imageColumns) FROM image WHERE owner = \(owner) AND position < \(position)
                ORDER BY position DESC LIMIT \(Int64(limit))
                """)
        }
        return try await images(
            """
            SELECT \(unescaped: Self.imageColumns) FROM image
            WHERE visibility = \(Visibility.public.rawValue) AND position < \(position)
            ORDER BY position DESC LIMIT \(Int64(limit))
            """)
    }

    func derivative(imageId: String, kind: DerivativeKind) async throws -> (image: ImageRow?, row: DerivativeRow?) {
        // The derivative first: an image deleted between the two reads is then not found, never served.
        let row = try await database.query(
            """
            SELECT \(unescaped: Self.derivativeColumns) FROM derivative
            WHERE imageId = \(imageId) AND kind = \(kind.rawValue)
            """
        ).map(Self.derivative).first
        return (try await image(id: imageId), row)
    }

    func imageIds(owner: String) async throws -> [String] {
        try await database.query("SELECT id FROM image WHERE owner = \(owner)").map { try $0.decode(String.self) }
    }

    func blobsInUse() async throws -> Set<String> {
        Set(
            try await database.query(
                "SELECT owner, sha256 FROM image UNION SELECT owner, sha256 FROM derivative"
            ).map { row in
                let (owner, sha256) = try row.decode((String, String).self)
                return "\(owner)/\(sha256)"
            })
    }

    func apply(_ change: ImageChange, owner: String, publishing: String?, trace: String, hooks: ChangeHooks)
        async throws -> ChangeOutcome
    {
        let logger = database.logger
        return try await database.withLock("store.owner." + owner) { connection in
            let outcome: ChangeOutcome
            do {
                outcome = try await connection.withTransaction(logger: logger) { connection in
                    try await Self.change(change, owner: owner, trace: trace, hooks: hooks, on: connection, logger)
                }
            } catch {
                let error = PostgresSchema.mapped(error)
                var unused = false
                if let publishing {
                    unused = try await Self.isUnused(connection, owner: owner, sha256: publishing, logger)
                }
                hooks.rolledBack(unused)
                throw error
            }
            hooks.committed(outcome)
            return outcome
        }
    }

    private static func change(
        _ change: ImageChange, owner: String, trace: String, hooks: ChangeHooks, on connection: PostgresConnection,
        _ logger: Logger
    ) async throws -> ChangeOutcome {
        var outcome = ChangeOutcome()
        var released: [String] = []
        switch change {
        case .put(var row, let overwrite, let now):
            let existing = try await connection.query(
                """
                SELECT \(unescaped: imageColumns) FROM image WHERE owner = \(row.owner) AND key = \(row.key)
                FOR UPDATE
                """, logger: logger
            ).collect().map(Self.image).first
            var event = EventRow(.imageCreated, row, at: row.createdAt, trace: trace)
            if let existing {
                guard overwrite else {
                    throw WireError(.keyExists, "An image with key '\(row.key)' exists; ask for overwrite")
                }
                let stale = try await connection.query(
                    "DELETE FROM derivative WHERE imageId = \(existing.id) RETURNING sha256", logger: logger
                ).collect().map { try $0.decode(String.self) }
                (row.position, row.id, row.createdAt) = (existing.position, existing.id, existing.createdAt)
                try await connection.query(
                    """
                    UPDATE image SET filename = \(row.filename), contentType = \(row.contentType),
                        width = \(row.width), height = \(row.height), size = \(row.size), sha256 = \(row.sha256),
                        visibility = \(row.visibility), derivedFrom = \(row.derivedFrom)
                    WHERE id = \(row.id)
                    """, logger: logger)
                event = EventRow(.imageReplaced, row, at: now, trace: trace)
                released = [existing.sha256] + stale
            } else {
                let inserted = try await connection.query(
                    """
                    INSERT INTO image (id, owner, key, filename, contentType, width, height, size, sha256, visibility,
                        createdAt, derivedFrom)
                    VALUES (\(row.id), \(row.owner), \(row.key), \(row.filename), \(row.contentType), \(row.width),
                        \(row.height), \(row.size), \(row.sha256), \(row.visibility), \(row.createdAt),
                        \(row.derivedFrom))
                    RETURNING position
                    """, logger: logger
                ).collect()
                row.position = try inserted.first?.decode(Int64.self)
            }
            try hooks.beforeCommit()
            outcome.sequence = try await append([event], on: connection, logger)
            outcome.image = row
        case .putDerivative(let row):
            let old = try await connection.query(
                """
                SELECT sha256 FROM derivative WHERE imageId = \(row.imageId) AND kind = \(row.kind) FOR UPDATE
                """, logger: logger
            ).collect().map { try $0.decode(String.self) }
            let exists = try await connection.query(
                "SELECT id FROM image WHERE id = \(row.imageId) FOR SHARE", logger: logger
            ).collect()
            guard !exists.isEmpty else { throw WireError(.notFound, "No image \(row.imageId)") }
            try await connection.query(
                """
                INSERT INTO derivative (imageId, kind, owner, contentType, width, height, size, sha256)
                VALUES (\(row.imageId), \(row.kind), \(row.owner), \(row.contentType), \(row.width), \(row.height),
                    \(row.size), \(row.sha256))
                ON CONFLICT (imageId, kind) DO UPDATE SET owner = excluded.owner,
                    contentType = excluded.contentType, width = excluded.width, height = excluded.height,
                    size = excluded.size, sha256 = excluded.sha256
                """, logger: logger)
            try hooks.beforeCommit()
            released = old
        case .delete(let ids, let now):
            var events: [EventRow] = []
            for id in ids {
                let stale = try await connection.query(
                    "DELETE FROM derivative WHERE imageId = \(id) AND owner = \(owner) RETURNING sha256", logger: logger
                ).collect().map { try $0.decode(String.self) }
                guard
                    let image = try await connection.query(
                        "DELETE FROM image WHERE id = \(id) AND owner = \(owner) RETURNING \(unescaped: imageColumns)",
                        logger: logger
                    ).collect().map(Self.image).first
                else { continue }
                try await connection.query(
                    "UPDATE image SET derivedFrom = NULL WHERE derivedFrom = \(id)", logger: logger)
                events.append(EventRow(.imageDeleted, image, at: now, trace: trace))
                released += [image.sha256] + stale
            }
            try hooks.beforeCommit()
            outcome.sequence = try await append(events, on: connection, logger)
        }
        var orphans = Set<String>()
        for sha256 in Set(released) where try await isUnused(connection, owner: owner, sha256: sha256, logger) {
            orphans.insert(sha256)
        }
        outcome.orphans = orphans
        // Only a deletion can leave the owner with nothing (uploads and derivatives add rows).
        if case .delete = change {
            let left = try await connection.query(
                """
                SELECT (SELECT COUNT(*) FROM image WHERE owner = \(owner))
                     + (SELECT COUNT(*) FROM derivative WHERE owner = \(owner))
                """, logger: logger
            ).collect()
            outcome.ownsNothing = try left.first?.decode(Int64.self) == 0
        }
        return outcome
    }

    /// Whether no row of the owner's names the blob.
    private static func isUnused(
        _ connection: PostgresConnection, owner: String, sha256: String, _ logger: Logger
    ) async throws -> Bool {
        let rows = try await connection.query(
            """
            SELECT (SELECT COUNT(*) FROM image WHERE owner = \(owner) AND sha256 = \(sha256))
                 + (SELECT COUNT(*) FROM derivative WHERE owner = \(owner) AND sha256 = \(sha256))
            """, logger: logger
        ).collect()
        return try rows.first?.decode(Int64.self) == 0
    }

    /// Appends `events` under the log's lock (held until the transaction ends); the last sequence, or 0.
    private static func append(_ events: [EventRow], on connection: PostgresConnection, _ logger: Logger)
        async throws -> Int64
    {
        guard !events.isEmpty else { return 0 }
        try await connection.query("SELECT pg_advisory_xact_lock(hashtext('store.event'))", logger: logger)
        var last: Int64 = 0
        for event in events {
            let rows = try await connection.query(
                """
                INSERT INTO event (kind, imageId, owner, visibility, createdAt, trace, part)
                VALUES (\(event.kind), \(event.imageId), \(event.owner), \(event.visibility), \(event.createdAt),
                    \(event.trace), \(Int32(event.part)))
                RETURNING sequence
                """, logger: logger
            ).collect()
            last = try rows.first?.decode(Int64.self) ?? last
        }
        return last
    }

    // MARK: Share links

    func saveShare(_ share: Share) async throws {
        try await database.query(
            """
            INSERT INTO share (imageId, shareId, expiresAt) VALUES (\(share.imageId), \(share.shareId), \(share.expiresAt))
            ON CONFLICT (imageId) DO UPDATE SET shareId = excluded.shareId, expiresAt = excluded.expiresAt
            """)
    }

    func deleteShare(imageId: String) async throws {
        try await database.query("DELETE FROM share WHERE imageId = \(imageId)")
    }

    func sharedImage(imageId: String, shareId: String, now: Int64) async throws -> ImageRow? {
        try await images(
            """
            SELECT \(unescaped: Self.imageColumns.replacingOccurrences(of: "position", with: "image.position"))
            FROM share JOIN image ON image.id = share.imageId
            WHERE share.imageId = \(imageId) AND share.shareId = \(shareId) AND share.expiresAt > \(now)
            """
        ).first
    }

    // MARK: The event log

    func lastSequence() async throws -> Int64 {
        let rows = try await database.query(
            """
            SELECT GREATEST(COALESCE((SELECT MAX(sequence) FROM event), 0), (SELECT prunedThrough FROM eventLog))
            """)
        return try rows.first?.decode(Int64.self) ?? 0
    }

    func events(owner: String, after: Int64, limit: Int) async throws -> [EventRow] {
        try await database.query(
            """
            SELECT \(unescaped: Self.eventColumns) FROM event WHERE owner = \(owner) AND sequence > \(after)
            ORDER BY sequence LIMIT \(Int64(limit))
            """
        ).map(Self.event)
    }

    func appendJobChanged(_ event: EventRow) async throws -> Int64 {
        let logger = database.logger
        return try await database.transaction { connection in
            try await Self.append([event], on: connection, logger)
        }
    }

    func appendTagsChanged(caller: String, ids: [String], at time: Int64, trace: String) async throws -> Int64 {
        let logger = database.logger
        return try await database.transaction { connection in
            let images = try await connection.query(
                "SELECT \(unescaped: Self.imageColumns) FROM image WHERE id = ANY(\(ids)) AND owner = \(caller)",
                logger: logger
            ).collect().map(Self.image)
            let found = Dictionary(images.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            var events: [EventRow] = []
            for id in ids {
                guard let image = found[id] else { throw WireError(.notFound, "No image \(id)") }
                events.append(EventRow(.imageTagsChanged, image, at: time, trace: trace))
            }
            return try await Self.append(events, on: connection, logger)
        }
    }

    func claim(consumer: String, holder: String, now: Int64, lease: Int64) async throws -> ConsumerClaim {
        let logger = database.logger
        return try await database.transaction { connection in
            try await connection.query(
                "SELECT pg_advisory_xact_lock(hashtext(\("store.consumer." + consumer)))", logger: logger)
            let known = try await connection.query(
                "SELECT part FROM consumerPart WHERE name = \(consumer) LIMIT 1", logger: logger
            ).collect()
            var prunedThrough = try await Self.prunedThrough(connection, logger)
            if known.isEmpty {
                // Not while the log is being pruned: the cursor starts where pruning has got to.
                try await connection.query(
                    "SELECT pg_advisory_xact_lock(hashtext('store.consumers'))", logger: logger)
                prunedThrough = try await Self.prunedThrough(connection, logger)
                try await Self.register(connection, consumer: consumer, at: prunedThrough, logger)
            }
            try await connection.query(
                """
                INSERT INTO consumerHolder (name, holder, seenUntil) VALUES (\(consumer), \(holder), \(now + lease))
                ON CONFLICT (name, holder) DO UPDATE SET seenUntil = excluded.seenUntil
                """, logger: logger)
            try await connection.query(
                "DELETE FROM consumerHolder WHERE name = \(consumer) AND seenUntil < \(now)", logger: logger)
            let holders =
                try await connection.query(
                    "SELECT COUNT(*) FROM consumerHolder WHERE name = \(consumer)", logger: logger
                ).collect().first?.decode(Int64.self) ?? 1
            let share = EventPartitions.share(holders: Int(clamping: holders))
            var mine = try await connection.query(
                "SELECT part FROM consumerPart WHERE name = \(consumer) AND holder = \(holder) ORDER BY part",
                logger: logger
            ).collect().map { Int(try $0.decode(Int32.self)) }
            if mine.count > share {
                let extra = mine[share...].map { Int32($0) }
                try await connection.query(
                    """
                    UPDATE consumerPart SET holder = NULL, leaseUntil = NULL
                    WHERE name = \(consumer) AND part = ANY(\(extra))
                    """, logger: logger)
                mine.removeLast(mine.count - share)
            } else if mine.count < share {
                let taken = try await connection.query(
                    """
                    UPDATE consumerPart SET holder = \(holder)
                    WHERE name = \(consumer) AND part IN (
                        SELECT part FROM consumerPart
                        WHERE name = \(consumer) AND (holder IS NULL OR (holder <> \(holder) AND leaseUntil < \(now)))
                        ORDER BY part LIMIT \(Int64(share - mine.count)))
                    RETURNING part
                    """, logger: logger
                ).collect().map { Int(try $0.decode(Int32.self)) }
                mine = (mine + taken).sorted()
            }
            try await connection.query(
                "UPDATE consumerPart SET leaseUntil = \(now + lease) WHERE name = \(consumer) AND holder = \(holder)",
                logger: logger)
            let lowest: PostgresQuery =
                mine.isEmpty
                ? "SELECT MIN(cursor) FROM consumerPart WHERE name = \(consumer)"
                : "SELECT MIN(cursor) FROM consumerPart WHERE name = \(consumer) AND holder = \(holder)"
            let committed =
                try await connection.query(lowest, logger: logger).collect().first?.decode(Int64?.self)
                ?? prunedThrough
            return ConsumerClaim(
                partitions: mine, committed: committed, prunedThrough: prunedThrough, registered: known.isEmpty)
        }
    }

    private static func prunedThrough(_ connection: PostgresConnection, _ logger: Logger) async throws -> Int64 {
        try await connection.query("SELECT prunedThrough FROM eventLog", logger: logger).collect().first?
            .decode(Int64.self) ?? 0
    }

    private static func register(
        _ connection: PostgresConnection, consumer: String, at cursor: Int64, _ logger: Logger
    ) async throws {
        try await connection.query(
            """
            INSERT INTO consumerPart (name, part, cursor)
            SELECT \(consumer), part, \(cursor) FROM generate_series(0, \(Int32(EventPartitions.count - 1))) AS part
            ON CONFLICT DO NOTHING
            """, logger: logger)
    }

    func events(consumer: String, holder: String, limit: Int) async throws -> [EventRow] {
        try await database.query(
            """
            SELECT \(unescaped: Self.eventColumns.split(separator: ", ").map { "event.\($0)" }.joined(separator: ", "))
            FROM consumerPart JOIN event ON event.part = consumerPart.part
            WHERE consumerPart.name = \(consumer) AND consumerPart.holder = \(holder)
                AND event.sequence > consumerPart.cursor
            ORDER BY event.sequence LIMIT \(Int64(limit))
            """
        ).map(Self.event)
    }

    func commit(consumer: String, holder: String, through sequence: Int64, now: Int64, lease: Int64) async throws
        -> Bool
    {
        let logger = database.logger
        return try await database.transaction { connection in
            let moved = try await connection.query(
                """
                UPDATE consumerPart SET cursor = GREATEST(cursor, \(sequence)), leaseUntil = \(now + lease)
                WHERE name = \(consumer) AND holder = \(holder) RETURNING part
                """, logger: logger
            ).collect()
            if !moved.isEmpty {
                try await connection.query(
                    """
                    UPDATE consumerHolder SET seenUntil = GREATEST(seenUntil, \(now + lease))
                    WHERE name = \(consumer) AND holder = \(holder)
                    """, logger: logger)
                return true
            }
            try await connection.query(
                "SELECT pg_advisory_xact_lock(hashtext(\("store.consumer." + consumer)))", logger: logger)
            let known = try await connection.query(
                "SELECT part FROM consumerPart WHERE name = \(consumer) LIMIT 1", logger: logger
            ).collect()
            guard known.isEmpty else { return false }
            try await Self.register(connection, consumer: consumer, at: sequence, logger)
            return true
        }
    }

    func pruneEvents(cutoff: Int64) async throws -> Int {
        let logger = database.logger
        return try await database.transaction { connection in
            // One pruner at a time, and no consumer registering meanwhile (it starts where pruning got to).
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext('store.consumers'))", logger: logger)
            let through =
                try await connection.query("SELECT MIN(cursor) FROM consumerPart", logger: logger).collect().first?
                .decode(Int64?.self)
            let bound: Int64
            if let through {
                bound = through
            } else {
                bound =
                    try await connection.query("SELECT MAX(sequence) FROM event", logger: logger).collect().first?
                    .decode(Int64?.self) ?? 0
            }
            let removed = try await connection.query(
                "DELETE FROM event WHERE sequence <= \(bound) AND createdAt < \(cutoff) RETURNING sequence",
                logger: logger
            ).collect().map { try $0.decode(Int64.self) }
            guard let last = removed.max() else { return 0 }
            try await connection.query(
                "UPDATE eventLog SET prunedThrough = GREATEST(prunedThrough, \(last))", logger: logger)
            return removed.count
        }
    }
}
