import Contracts
import Foundation
import GRDB
import SQLiteSupport
import Wire

/// StoreSvc's SQLite database: images, their derivatives, the event log and consumers' cursors. One file
/// in the service's state folder, WAL mode, migrated on open; its one writer serializes every change.
struct SQLiteImageStore: ImageStore {
    let database: DatabasePool

    init(path: String) throws {
        database = try DatabasePool.migrated(path: path, Self.migrator)
    }

    var isShared: Bool { false }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "image") { table in
                // Newest first is `position DESC`; the position is also the list cursor.
                table.autoIncrementedPrimaryKey("position")
                table.column("id", .text).notNull().unique()
                table.column("owner", .text).notNull()
                table.column("key", .text).notNull()
                table.column("filename", .text).notNull()
                table.column("contentType", .text).notNull()
                table.column("width", .integer).notNull()
                table.column("height", .integer).notNull()
                table.column("size", .integer).notNull()
                table.column("sha256", .text).notNull()
                table.column("visibility", .text).notNull()
                table.column("createdAt", .integer).notNull()
                table.column("derivedFrom", .text)
                table.uniqueKey(["owner", "key"])
            }
            try db.create(index: "image_owner_position", on: "image", columns: ["owner", "position"])
            try db.create(index: "image_visibility_position", on: "image", columns: ["visibility", "position"])
            try db.create(index: "image_owner_sha", on: "image", columns: ["owner", "sha256"])
            try db.create(table: "derivative") { table in
                table.column("imageId", .text).notNull().references("image", column: "id", onDelete: .cascade)
                table.column("kind", .text).notNull()
                table.column("owner", .text).notNull()
                table.column("contentType", .text).notNull()
                table.column("width", .integer).notNull()
                table.column("height", .integer).notNull()
                table.column("size", .integer).notNull()
                table.column("sha256", .text).notNull()
                table.primaryKey(["imageId", "kind"])
            }
            try db.create(index: "derivative_owner_sha", on: "derivative", columns: ["owner", "sha256"])
            try db.create(table: "event") { table in
                table.autoIncrementedPrimaryKey("sequence")
                table.column("kind", .text).notNull()
                table.column("imageId", .text).notNull()
                table.column("owner", .text).notNull()
                table.column("visibility", .text).notNull()
                table.column("createdAt", .integer).notNull()
            }
            try db.create(table: "consumer") { table in
                table.primaryKey("name", .text)
                table.column("cursor", .integer).notNull()
            }
        }
        migrator.registerMigration("v2-shares") { db in
            // One share per image; deleting the image (or its owner) ends it.
            try db.create(table: "share") { table in
                table.primaryKey("imageId", .text).references("image", column: "id", onDelete: .cascade)
                table.column("shareId", .text).notNull()
                table.column("expiresAt", .integer).notNull()
            }
        }
        migrator.registerMigration("v3-owner-events") { db in
            // A user's own stream reads the log by owner.
            try db.create(index: "event_owner_sequence", on: "event", columns: ["owner", "sequence"])
        }
        migrator.registerMigration("v4-event-trace") { db in
            // What consumers do about an event joins the trace of the request that made it.
            try db.alter(table: "event") { table in table.add(column: "trace", .text) }
        }
        migrator.registerMigration("v5-event-pruning") { db in
            // How far the log has been pruned: a consumer whose cursor is below it missed events.
            try db.execute(
                sql: """
                    CREATE TABLE eventLog (id INTEGER PRIMARY KEY CHECK (id = 1), prunedThrough INTEGER NOT NULL);
                    INSERT INTO eventLog (id, prunedThrough) VALUES (1, 0);
                    """)
        }
        migrator.registerMigration("v6-partitions") { db in
            // Consumers' replicas share the log by partition, each with its cursor and holder.
            try db.execute(
                sql: """
                    ALTER TABLE event ADD COLUMN part INTEGER NOT NULL DEFAULT 0;
                    CREATE INDEX event_part_sequence ON event (part, sequence);
                    CREATE TABLE consumerPart (
                        name TEXT NOT NULL, part INTEGER NOT NULL, cursor INTEGER NOT NULL, holder TEXT,
                        leaseUntil INTEGER, PRIMARY KEY (name, part));
                    CREATE TABLE consumerHolder (
                        name TEXT NOT NULL, holder TEXT NOT NULL, seenUntil INTEGER NOT NULL,
                        PRIMARY KEY (name, holder));
                    """)
            for (sequence, subject) in try Row.fetchAll(db, sql: "SELECT sequence, imageId FROM event").map({
                ($0[0] as Int64, $0[1] as String)
            }) {
                try db.execute(
                    sql: "UPDATE event SET part = ? WHERE sequence = ?",
                    arguments: [EventPartitions.of(subject), sequence])
            }
            for (name, cursor) in try Row.fetchAll(db, sql: "SELECT name, cursor FROM consumer").map({
                ($0[0] as String, $0[1] as Int64)
            }) {
                try Self.register(db, consumer: name, at: cursor)
            }
            try db.execute(sql: "DROP TABLE consumer")
        }
        return migrator
    }

    static func register(_ db: Database, consumer: String, at cursor: Int64) throws {
        for part in 0..<EventPartitions.count {
            try db.execute(
                sql: "INSERT OR IGNORE INTO consumerPart (name, part, cursor) VALUES (?, ?, ?)",
                arguments: [consumer, part, cursor])
        }
    }

    // MARK: Images

    func image(id: String) async throws -> ImageRow? {
        try await database.read { db in try ImageRow.filter(Column("id") == id).fetchOne(db) }
    }

    func image(id: String, owner: String) async throws -> ImageRow? {
        try await database.read { db in
            try ImageRow.filter(Column("id") == id && Column("owner") == owner).fetchOne(db)
        }
    }

    func images(ids: [String]) async throws -> [ImageRow] {
        try await database.read { db in try ImageRow.filter(ids.contains(Column("id"))).fetchAll(db) }
    }

    func image(owner: String, key: String) async throws -> ImageRow? {
        try await database.read { db in
            try ImageRow.filter(Column("owner") == owner && Column("key") == key).fetchOne(db)
        }
    }

    func images(owner: String?, before position: Int64, limit: Int) async throws -> [ImageRow] {
        try await database.read { db in
            var request = ImageRow.filter(Column("position") < position)
            request =
                if let owner { request.filter(Column("owner") == owner) } else {
                    request.filter(Column("visibility") == Visibility.public.rawValue)
                }
            return try request.order(Column("position").desc).limit(limit).fetchAll(db)
        }
    }

    func derivative(imageId: String, kind: DerivativeKind) async throws -> (image: ImageRow?, row: DerivativeRow?) {
        try await database.read { db in
            (
                try ImageRow.filter(Column("id") == imageId).fetchOne(db),
                try DerivativeRow.filter(Column("imageId") == imageId && Column("kind") == kind.rawValue).fetchOne(db)
            )
        }
    }

    func imageIds(owner: String) async throws -> [String] {
        try await database.read { db in
            try String.fetchAll(db, sql: "SELECT id FROM image WHERE owner = ?", arguments: [owner])
        }
    }

    func blobsInUse() async throws -> Set<String> {
        try await database.read { db in
            Set(
                try Row.fetchAll(
                    db, sql: "SELECT owner, sha256 FROM image UNION SELECT owner, sha256 FROM derivative"
                ).map { "\($0["owner"] as String)/\($0["sha256"] as String)" })
        }
    }

    func apply(_ change: ImageChange, owner: String, publishing: String?, trace: String, hooks: ChangeHooks)
        async throws -> ChangeOutcome
    {
        try await database.writeWithoutTransaction { db in
            var outcome = ChangeOutcome()
            do {
                try db.inTransaction {
                    var released: [String] = []
                    switch change {
                    case .put(var row, let overwrite, let now):
                        var event = EventRow(.imageCreated, row, at: row.createdAt, trace: trace)
                        if let existing = try ImageRow.filter(Column("owner") == row.owner && Column("key") == row.key)
                            .fetchOne(db)
                        {
                            guard overwrite else {
                                throw WireError(.keyExists, "An image with key '\(row.key)' exists; ask for overwrite")
                            }
                            let stale = try DerivativeRow.filter(Column("imageId") == existing.id).fetchAll(db)
                            try DerivativeRow.filter(Column("imageId") == existing.id).deleteAll(db)
                            (row.position, row.id, row.createdAt) = (existing.position, existing.id, existing.createdAt)
                            try row.update(db)
                            event = EventRow(.imageReplaced, row, at: now, trace: trace)
                            released = [existing.sha256] + stale.map(\.sha256)
                        } else {
                            try row.insert(db)
                        }
                        try hooks.beforeCommit()
                        try event.insert(db)
                        (outcome.image, outcome.sequence) = (row, event.sequence ?? 0)
                    case .putDerivative(let row):
                        guard try ImageRow.filter(Column("id") == row.imageId).fetchCount(db) == 1 else {
                            throw WireError(.notFound, "No image \(row.imageId)")
                        }
                        let old = try DerivativeRow.filter(
                            Column("imageId") == row.imageId && Column("kind") == row.kind
                        ).fetchOne(db)
                        try row.save(db)
                        try hooks.beforeCommit()
                        released = old.map { [$0.sha256] } ?? []
                    case .delete(let ids, let now):
                        for id in ids {
                            guard
                                let image = try ImageRow.filter(Column("id") == id && Column("owner") == owner)
                                    .fetchOne(db)
                            else { continue }
                            let stale = try DerivativeRow.filter(Column("imageId") == id).fetchAll(db)
                            try image.delete(db)
                            try db.execute(
                                sql: "UPDATE image SET derivedFrom = NULL WHERE derivedFrom = ?", arguments: [id])
                            var event = EventRow(.imageDeleted, image, at: now, trace: trace)
                            try event.insert(db)
                            outcome.sequence = event.sequence ?? outcome.sequence
                            released += [image.sha256] + stale.map(\.sha256)
                        }
                        try hooks.beforeCommit()
                    }
                    outcome.orphans = try Set(released).filter { try Self.isUnused(db, owner: owner, sha256: $0) }
                    if case .delete = change { outcome.ownsNothing = try Self.ownsNothing(db, owner: owner) }
                    return .commit
                }
            } catch {
                hooks.rolledBack(try publishing.map { try Self.isUnused(db, owner: owner, sha256: $0) } ?? false)
                throw error
            }
            hooks.committed(outcome)
            return outcome
        }
    }

    static func ownsNothing(_ db: Database, owner: String) throws -> Bool {
        try Int.fetchOne(
            db,
            sql: """
                SELECT (SELECT COUNT(*) FROM image WHERE owner = ?1)
                     + (SELECT COUNT(*) FROM derivative WHERE owner = ?1)
                """, arguments: [owner]) == 0
    }

    static func isUnused(_ db: Database, owner: String, sha256: String) throws -> Bool {
        let uses = try Int.fetchOne(
            db,
            sql: """
                SELECT (SELECT COUNT(*) FROM image WHERE owner = ?1 AND sha256 = ?2)
                     + (SELECT COUNT(*) FROM derivative WHERE owner = ?1 AND sha256 = ?2)
                """, arguments: [owner, sha256])
        return uses == 0
    }

    // MARK: Share links

    func saveShare(_ share: Share) async throws {
        try await database.write { db in
            try db.execute(
                sql: """
                    INSERT INTO share (imageId, shareId, expiresAt) VALUES (?, ?, ?)
                    ON CONFLICT (imageId) DO UPDATE SET shareId = excluded.shareId, expiresAt = excluded.expiresAt
                    """, arguments: [share.imageId, share.shareId, share.expiresAt])
        }
    }

    func deleteShare(imageId: String) async throws {
        try await database.write { db in
            try db.execute(sql: "DELETE FROM share WHERE imageId = ?", arguments: [imageId])
        }
    }

    func sharedImage(imageId: String, shareId: String, now: Int64) async throws -> ImageRow? {
        try await database.read { db in
            try ImageRow.fetchOne(
                db,
                sql: """
                    SELECT image.* FROM share JOIN image ON image.id = share.imageId
                    WHERE share.imageId = ? AND share.shareId = ? AND share.expiresAt > ?
                    """, arguments: [imageId, shareId, now])
        }
    }

    // MARK: The event log

    func lastSequence() async throws -> Int64 {
        try await database.read { db in
            try Int64.fetchOne(
                db,
                sql: """
                    SELECT MAX(COALESCE((SELECT MAX(sequence) FROM event), 0), (SELECT prunedThrough FROM eventLog))
                    """) ?? 0
        }
    }

    func events(owner: String, after: Int64, limit: Int) async throws -> [EventRow] {
        try await database.read { db in
            try EventRow.filter(Column("owner") == owner && Column("sequence") > after)
                .order(Column("sequence")).limit(limit).fetchAll(db)
        }
    }

    func appendJobChanged(_ event: EventRow) async throws -> Int64 {
        try await database.write { db in
            var event = event
            try event.insert(db)
            return event.sequence ?? 0
        }
    }

    func appendTagsChanged(caller: String, ids: [String], at time: Int64, trace: String) async throws -> Int64 {
        try await database.write { db in
            let images = try ImageRow.filter(ids.contains(Column("id")) && Column("owner") == caller).fetchAll(db)
            let found = Dictionary(images.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            var sequence: Int64 = 0
            for id in ids {
                guard let image = found[id] else { throw WireError(.notFound, "No image \(id)") }
                var event = EventRow(.imageTagsChanged, image, at: time, trace: trace)
                try event.insert(db)
                sequence = event.sequence ?? sequence
            }
            return sequence
        }
    }

    func claim(consumer: String, holder: String, now: Int64, lease: Int64) async throws -> ConsumerClaim {
        try await database.write { db in
            let prunedThrough = try Int64.fetchOne(db, sql: "SELECT prunedThrough FROM eventLog") ?? 0
            let registered =
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM consumerPart WHERE name = ?", arguments: [consumer])
                == 0
            if registered { try Self.register(db, consumer: consumer, at: prunedThrough) }
            try db.execute(
                sql: """
                    INSERT INTO consumerHolder (name, holder, seenUntil) VALUES (?1, ?2, ?3)
                    ON CONFLICT (name, holder) DO UPDATE SET seenUntil = excluded.seenUntil
                    """, arguments: [consumer, holder, now + lease])
            try db.execute(
                sql: "DELETE FROM consumerHolder WHERE name = ? AND seenUntil < ?", arguments: [consumer, now])
            let holders =
                try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM consumerHolder WHERE name = ?", arguments: [consumer]) ?? 1
            let share = EventPartitions.share(holders: holders)
            var mine = try Int.fetchAll(
                db, sql: "SELECT part FROM consumerPart WHERE name = ? AND holder = ? ORDER BY part",
                arguments: [consumer, holder])
            if mine.count > share {
                for part in mine[share...] {
                    try db.execute(
                        sql: "UPDATE consumerPart SET holder = NULL, leaseUntil = NULL WHERE name = ? AND part = ?",
                        arguments: [consumer, part])
                }
                mine.removeLast(mine.count - share)
            } else if mine.count < share {
                let free = try Int.fetchAll(
                    db,
                    sql: """
                        SELECT part FROM consumerPart
                        WHERE name = ?1 AND (holder IS NULL OR (holder <> ?2 AND leaseUntil < ?3))
                        ORDER BY part LIMIT ?4
                        """, arguments: [consumer, holder, now, share - mine.count])
                for part in free {
                    try db.execute(
                        sql: "UPDATE consumerPart SET holder = ? WHERE name = ? AND part = ?",
                        arguments: [holder, consumer, part])
                }
                mine = (mine + free).sorted()
            }
            try db.execute(
                sql: "UPDATE consumerPart SET leaseUntil = ? WHERE name = ? AND holder = ?",
                arguments: [now + lease, consumer, holder])
            let committed =
                try Int64.fetchOne(
                    db,
                    sql: mine.isEmpty
                        ? "SELECT MIN(cursor) FROM consumerPart WHERE name = ?1"
                        : "SELECT MIN(cursor) FROM consumerPart WHERE name = ?1 AND holder = ?2",
                    arguments: mine.isEmpty ? [consumer] : [consumer, holder]) ?? prunedThrough
            return ConsumerClaim(
                partitions: mine, committed: committed, prunedThrough: prunedThrough, registered: registered)
        }
    }

    func events(consumer: String, holder: String, limit: Int) async throws -> [EventRow] {
        try await database.read { db in
            try EventRow.fetchAll(
                db,
                sql: """
                    SELECT event.* FROM consumerPart JOIN event ON event.part = consumerPart.part
                    WHERE consumerPart.name = ? AND consumerPart.holder = ? AND event.sequence > consumerPart.cursor
                    ORDER BY event.sequence LIMIT ?
                    """, arguments: [consumer, holder, limit])
        }
    }

    func commit(consumer: String, holder: String, through sequence: Int64, now: Int64, lease: Int64) async throws
        -> Bool
    {
        try await database.write { db in
            try db.execute(
                sql: """
                    UPDATE consumerPart SET cursor = MAX(cursor, ?), leaseUntil = ? WHERE name = ? AND holder = ?
                    """, arguments: [sequence, now + lease, consumer, holder])
            if db.changesCount > 0 {
                try db.execute(
                    sql: "UPDATE consumerHolder SET seenUntil = MAX(seenUntil, ?) WHERE name = ? AND holder = ?",
                    arguments: [now + lease, consumer, holder])
                return true
            }
            try Self.register(db, consumer: consumer, at: sequence)
            return db.changesCount > 0
        }
    }

    func pruneEvents(cutoff: Int64) async throws -> Int {
        try await database.write { db in
            let through =
                try Int64.fetchOne(db, sql: "SELECT MIN(cursor) FROM consumerPart")
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
}
