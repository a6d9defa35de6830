import Contracts
import Foundation
import GRDB
import SQLiteSupport
import Wire

/// TagSvc's SQLite database: the images it knows, their automatic and manual tags, the visible tags that
/// queries read, per-owner tag counts, subscriptions and the notification queue. One file in the
/// service's state folder, WAL mode, migrated on open.
///
/// A person's edits live in `manualTag`, apart from the detector's `autoTag`, so re-tagging never
/// erases them; a manual row with count 0 hides an automatic tag. `visibleTag` is what the two make
/// together, kept per image by `refreshVisible`, indexed by (owner, tag, newest first) so that a tag
/// query walks only the images carrying its rarest tag; triggers keep `tagStat` in step with it.
public struct TagStore: Sendable {
    public let database: DatabasePool
    /// The visible tags in memory, for queries.
    public let postings = TagPostings()

    public init(folder: String) throws { try self.init(path: "\(folder)/tags.sqlite") }

    public init(path: String) throws {
        database = try DatabasePool.migrated(path: path, Self.migrator)
        try database.read { [postings] db in try postings.load(db) }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE image (
                        id TEXT PRIMARY KEY NOT NULL,
                        owner TEXT NOT NULL,
                        visibility TEXT NOT NULL,
                        createdAt INTEGER NOT NULL,
                        tagging TEXT NOT NULL,
                        error TEXT
                    );
                    CREATE INDEX image_owner ON image(owner);
                    CREATE TABLE autoTag (
                        imageId TEXT NOT NULL REFERENCES image(id) ON DELETE CASCADE,
                        tag TEXT NOT NULL,
                        count INTEGER NOT NULL,
                        confidence REAL NOT NULL,
                        PRIMARY KEY (imageId, tag)
                    ) WITHOUT ROWID;
                    CREATE TABLE manualTag (
                        imageId TEXT NOT NULL REFERENCES image(id) ON DELETE CASCADE,
                        tag TEXT NOT NULL,
                        count INTEGER NOT NULL,
                        PRIMARY KEY (imageId, tag)
                    ) WITHOUT ROWID;
                    CREATE TABLE visibleTag (
                        imageId TEXT NOT NULL REFERENCES image(id) ON DELETE CASCADE,
                        tag TEXT NOT NULL,
                        count INTEGER NOT NULL,
                        confidence REAL,
                        source TEXT NOT NULL,
                        owner TEXT NOT NULL,
                        createdAt INTEGER NOT NULL,
                        PRIMARY KEY (imageId, tag)
                    ) WITHOUT ROWID;
                    CREATE INDEX visibleTag_query ON visibleTag(owner, tag, createdAt DESC, imageId DESC, count);
                    CREATE TABLE tagStat (
                        owner TEXT NOT NULL,
                        tag TEXT NOT NULL,
                        images INTEGER NOT NULL,
                        PRIMARY KEY (owner, tag)
                    ) WITHOUT ROWID;
                    CREATE TRIGGER visibleTag_added AFTER INSERT ON visibleTag BEGIN
                        INSERT INTO tagStat (owner, tag, images) VALUES (NEW.owner, NEW.tag, 1)
                        ON CONFLICT(owner, tag) DO UPDATE SET images = images + 1;
                    END;
                    CREATE TRIGGER visibleTag_removed AFTER DELETE ON visibleTag BEGIN
                        UPDATE tagStat SET images = images - 1 WHERE owner = OLD.owner AND tag = OLD.tag;
                        DELETE FROM tagStat WHERE owner = OLD.owner AND tag = OLD.tag AND images <= 0;
                    END;
                    CREATE TABLE subscription (
                        id TEXT PRIMARY KEY NOT NULL,
                        owner TEXT NOT NULL,
                        channel TEXT NOT NULL,
                        target TEXT NOT NULL,
                        secret TEXT NOT NULL,
                        status TEXT NOT NULL,
                        confirmToken TEXT UNIQUE,
                        baseURL TEXT NOT NULL,
                        createdAt INTEGER NOT NULL
                    );
                    CREATE INDEX subscription_owner ON subscription(owner, createdAt);
                    CREATE TABLE subscriptionTag (
                        tag TEXT NOT NULL,
                        subscriptionId TEXT NOT NULL REFERENCES subscription(id) ON DELETE CASCADE,
                        PRIMARY KEY (tag, subscriptionId)
                    ) WITHOUT ROWID;
                    CREATE INDEX subscriptionTag_subscription ON subscriptionTag(subscriptionId);
                    CREATE TABLE delivery (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        subscriptionId TEXT NOT NULL REFERENCES subscription(id) ON DELETE CASCADE,
                        imageId TEXT NOT NULL,
                        dedupe TEXT NOT NULL UNIQUE,
                        payload TEXT NOT NULL,
                        status TEXT NOT NULL,
                        attempts INTEGER NOT NULL,
                        nextAttemptAt INTEGER NOT NULL,
                        lastError TEXT,
                        createdAt INTEGER NOT NULL,
                        finishedAt INTEGER
                    );
                    CREATE INDEX delivery_due ON delivery(status, nextAttemptAt);
                    CREATE INDEX delivery_subscription ON delivery(subscriptionId, status);
                    """)
        }
        migrator.registerMigration("v2-event-attempts") { db in
            // Counted before an event is handled, so an event that ends the process is counted too.
            try db.execute(
                sql: """
                    CREATE TABLE eventAttempt (
                        consumer TEXT NOT NULL,
                        sequence INTEGER NOT NULL,
                        attempts INTEGER NOT NULL,
                        lastError TEXT,
                        PRIMARY KEY (consumer, sequence)
                    )
                    """)
        }
        migrator.registerMigration("v3-rate-events") { db in
            // Subscribe attempts per owner, confirmation mails per address and per owner (M6).
            try db.execute(
                sql: """
                    CREATE TABLE rateEvent (
                        kind TEXT NOT NULL,
                        key TEXT NOT NULL,
                        at INTEGER NOT NULL
                    );
                    CREATE INDEX rateEvent_key ON rateEvent(kind, key, at);
                    CREATE INDEX rateEvent_at ON rateEvent(at);
                    """)
        }
        migrator.registerMigration("v4-delivery-claims") { db in
            // A notification taken for an attempt is held until then, so two senders never take it at once.
            try db.execute(sql: "ALTER TABLE delivery ADD COLUMN claimedUntil INTEGER")
        }
        return migrator
    }
}

/// A row of `image`: an image TagSvc has heard of, and where its tagging stands.
public struct TaggedImageRow: Codable, FetchableRecord, PersistableRecord, Sendable {
    public static let databaseTableName = "image"
    public var id: String
    public var owner: String
    public var visibility: String
    public var createdAt: Int64
    public var tagging: String
    public var error: String?

    public init(
        id: String, owner: String, visibility: String, createdAt: Int64, tagging: String, error: String? = nil
    ) {
        (self.id, self.owner, self.visibility, self.createdAt, self.tagging, self.error) =
            (id, owner, visibility, createdAt, tagging, error)
    }

    public init(_ image: ImageRecord, tagging: TaggingState = .pending) {
        (id, owner, visibility, createdAt) = (image.id, image.owner, image.visibility.rawValue, image.createdAt)
        (self.tagging, error) = (tagging.rawValue, nil)
    }

    public var access: Visibility { Visibility(rawValue: visibility) ?? .private }
}

/// A row of `visibleTag`.
public struct VisibleTagRow: Codable, FetchableRecord, PersistableRecord, Sendable {
    public static let databaseTableName = "visibleTag"
    public var imageId: String
    public var tag: String
    public var count: Int
    public var confidence: Double?
    public var source: String
    public var owner: String
    public var createdAt: Int64

    public init(
        imageId: String, tag: String, count: Int, confidence: Double?, source: String, owner: String, createdAt: Int64
    ) {
        (self.imageId, self.tag, self.count, self.confidence, self.source) = (imageId, tag, count, confidence, source)
        (self.owner, self.createdAt) = (owner, createdAt)
    }
}

extension TagStore {
    /// The image's visible tags from its automatic and manual ones; returns the tags it gained.
    /// The postings follow once the transaction commits.
    @discardableResult
    public func refreshVisible(_ db: Database, image: TaggedImageRow) throws -> [String] {
        let before = Set(
            try String.fetchAll(db, sql: "SELECT tag FROM visibleTag WHERE imageId = ?", arguments: [image.id]))
        var visible: [String: VisibleTagRow] = [:]
        for row in try Row.fetchAll(
            db, sql: "SELECT tag, count, confidence FROM autoTag WHERE imageId = ?", arguments: [image.id])
        {
            let tag: String = row["tag"]
            visible[tag] = VisibleTagRow(
                imageId: image.id, tag: tag, count: row["count"], confidence: row["confidence"],
                source: TagSource.auto.rawValue, owner: image.owner, createdAt: image.createdAt)
        }
        for row in try Row.fetchAll(
            db, sql: "SELECT tag, count FROM manualTag WHERE imageId = ?", arguments: [image.id])
        {
            let (tag, count): (String, Int) = (row["tag"], row["count"])
            visible[tag] =
                count > 0
                ? VisibleTagRow(
                    imageId: image.id, tag: tag, count: count, confidence: nil, source: TagSource.manual.rawValue,
                    owner: image.owner, createdAt: image.createdAt) : nil
        }
        try db.execute(sql: "DELETE FROM visibleTag WHERE imageId = ?", arguments: [image.id])
        for row in visible.values { try row.insert(db) }
        let counts = visible.mapValues(\.count)
        db.afterNextTransaction { [postings] _ in
            postings.set(imageId: image.id, owner: image.owner, createdAt: image.createdAt, tags: counts)
        }
        return visible.keys.filter { !before.contains($0) }.sorted()
    }

    /// Deletes images and their tags (the postings follow on commit).
    public func forget(_ db: Database, imageIds: [String]) throws {
        _ = try TaggedImageRow.deleteAll(db, keys: imageIds)
        db.afterNextTransaction { [postings] _ in
            for id in imageIds { postings.set(imageId: id, owner: "", createdAt: 0, tags: [:]) }
        }
    }

    /// Deletes every image of the owner and their tags; the number of images.
    public func forget(_ db: Database, owner: String) throws -> Int {
        let count = try TaggedImageRow.filter(Column("owner") == owner).deleteAll(db)
        db.afterNextTransaction { [postings] _ in postings.removeOwner(owner) }
        return count
    }

    /// The visible tags and tagging state of the known images among `ids`, by id. Rows are read by
    /// position, not decoded as records: this runs for every page of every query and list.
    public static func tags(_ db: Database, of ids: [String]) throws -> [String: (TaggedImageRow, [ImageTag])] {
        guard !ids.isEmpty else { return [:] }
        let marks = Array(repeating: "?", count: ids.count).joined(separator: ",")
        let arguments = StatementArguments(ids)
        var found: [String: (TaggedImageRow, [ImageTag])] = [:]
        let images = try db.cachedStatement(
            sql: "SELECT id, owner, visibility, createdAt, tagging, error FROM image WHERE id IN (\(marks))")
        let imageRows = try Row.fetchCursor(images, arguments: arguments)
        while let row = try imageRows.next() {
            let image = TaggedImageRow(
                id: row[0], owner: row[1], visibility: row[2], createdAt: row[3], tagging: row[4], error: row[5])
            found[image.id] = (image, [])
        }
        let visible = try db.cachedStatement(
            sql: "SELECT imageId, tag, count, confidence, source FROM visibleTag WHERE imageId IN (\(marks))")
        let tagRows = try Row.fetchCursor(visible, arguments: arguments)
        while let row = try tagRows.next() {
            let source: String = row[4]
            found[row[0] as String]?.1.append(
                ImageTag(tag: row[1], count: row[2], confidence: row[3], source: TagSource(rawValue: source) ?? .manual)
            )
        }
        for (id, entry) in found where entry.1.count > 1 { found[id]!.1.sort { $0.tag < $1.tag } }
        return found
    }
}

extension ImageTags {
    public init(_ image: TaggedImageRow, _ tags: [ImageTag]) {
        self.init(
            imageId: image.id, tags: tags, tagging: TaggingState(rawValue: image.tagging) ?? .pending,
            error: image.error)
    }
}
