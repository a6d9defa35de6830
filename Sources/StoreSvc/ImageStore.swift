import Contracts
import Foundation
import GRDB
import SQLiteSupport
import Wire

/// StoreSvc's SQLite database: images, their derivatives, the event log and consumers' cursors. One file
/// in the service's state folder, WAL mode, migrated on open.
struct ImageStore: Sendable {
    let database: DatabasePool

    init(path: String) throws {
        database = try DatabasePool.migrated(path: path, Self.migrator)
    }

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
        return migrator
    }
}

/// A row of `image`.
struct ImageRow: Codable, FetchableRecord, MutablePersistableRecord, Sendable {
    static let databaseTableName = "image"
    var position: Int64?
    var id: String
    var owner: String
    var key: String
    var filename: String
    var contentType: String
    var width: Int
    var height: Int
    var size: Int
    var sha256: String
    var visibility: String
    var createdAt: Int64
    var derivedFrom: String?

    mutating func didInsert(_ inserted: InsertionSuccess) { position = inserted.rowID }

    var access: Visibility { Visibility(rawValue: visibility) ?? .private }

    var record: ImageRecord {
        ImageRecord(
            id: id, owner: owner, key: key, filename: filename, contentType: contentType, width: width, height: height,
            size: size, sha256: sha256, visibility: access, createdAt: createdAt,
            derivedFrom: derivedFrom)
    }
}

/// A row of `derivative`.
struct DerivativeRow: Codable, FetchableRecord, PersistableRecord, Sendable {
    static let databaseTableName = "derivative"
    var imageId: String
    var kind: String
    var owner: String
    var contentType: String
    var width: Int
    var height: Int
    var size: Int
    var sha256: String

    var info: DerivativeInfo {
        DerivativeInfo(
            imageId: imageId, kind: DerivativeKind(rawValue: kind) ?? .thumbnail, contentType: contentType,
            width: width, height: height, size: size, sha256: sha256)
    }
}

/// A row of `event`.
struct EventRow: Codable, FetchableRecord, MutablePersistableRecord, Sendable {
    static let databaseTableName = "event"
    var sequence: Int64?
    var kind: String
    var imageId: String
    var owner: String
    var visibility: String
    var createdAt: Int64
    /// The trace context of the request that made the change (`WireTrace.current` when it was served).
    var trace: String?

    init(_ kind: StoreEvent.Kind, _ image: ImageRow, at time: Int64, trace: String) {
        (self.kind, imageId, owner, visibility, createdAt) = (
            kind.rawValue, image.id, image.owner, image.visibility, time
        )
        self.trace = trace.isEmpty ? nil : trace
    }

    /// An event about something that is not an image (a job): its id, its owner.
    init(_ kind: StoreEvent.Kind, subject: String, owner: String, at time: Int64, trace: String) {
        (self.kind, imageId, self.owner, visibility, createdAt) = (
            kind.rawValue, subject, owner, Visibility.private.rawValue, time
        )
        self.trace = trace.isEmpty ? nil : trace
    }

    mutating func didInsert(_ inserted: InsertionSuccess) { sequence = inserted.rowID }

    var event: StoreEvent {
        StoreEvent(
            sequence: sequence ?? 0, kind: kind, imageId: imageId, owner: owner,
            visibility: Visibility(rawValue: visibility) ?? .private, createdAt: createdAt, trace: trace)
    }
}
