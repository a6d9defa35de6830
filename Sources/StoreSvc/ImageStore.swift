import Contracts
import Wire

/// StoreSvc's metadata: images, their derivatives, share links, the event log and its consumers. Every
/// statement StoreSvc runs is behind this protocol, in one of two stores: `SQLiteImageStore` (a file of
/// this process's own, the default) and `PostgresImageStore` (schema `store`, shared by every replica).
/// Blobs are not here: `StoreService` publishes and removes them from the hooks of `apply`.
protocol ImageStore: Sendable {
    /// Whether other processes write to the same rows (PostgreSQL): a blob without a row may be another
    /// replica's upload about to commit, and events may be appended by others.
    var isShared: Bool { get }

    // MARK: Images

    func image(id: String) async throws -> ImageRow?
    func image(id: String, owner: String) async throws -> ImageRow?
    func images(ids: [String]) async throws -> [ImageRow]
    func image(owner: String, key: String) async throws -> ImageRow?
    /// Up to `limit` images before `position`, newest first: the owner's, or everyone's public ones (nil).
    func images(owner: String?, before position: Int64, limit: Int) async throws -> [ImageRow]
    /// An image and its derivative of `kind`, read together.
    func derivative(imageId: String, kind: DerivativeKind) async throws -> (image: ImageRow?, row: DerivativeRow?)
    func imageIds(owner: String) async throws -> [String]
    /// Every blob some row names, as `owner/sha256`.
    func blobsInUse() async throws -> Set<String>

    /// Applies `change` to `owner`'s rows in one transaction with its events, serialized with every other
    /// change of that owner's rows (SQLite: the one writer; PostgreSQL: an advisory lock held past the
    /// commit), and calls `hooks.committed` or `hooks.rolledBack` while still serialized, so a change that
    /// publishes a blob never sees it removed by one that released it (M1). Events carry `trace`.
    func apply(_ change: ImageChange, owner: String, publishing: String?, trace: String, hooks: ChangeHooks)
        async throws -> ChangeOutcome

    // MARK: Share links

    func saveShare(_ share: Share) async throws
    func deleteShare(imageId: String) async throws
    /// The image the share names, while it has not expired (`now` in seconds).
    func sharedImage(imageId: String, shareId: String, now: Int64) async throws -> ImageRow?

    // MARK: The event log

    /// The newest sequence committed (or pruned); every lower one is committed too.
    func lastSequence() async throws -> Int64
    func events(owner: String, after: Int64, limit: Int) async throws -> [EventRow]
    /// Appends one `job.changed` event; its sequence.
    func appendJobChanged(_ event: EventRow) async throws -> Int64
    /// Appends `image.tagsChanged` for each of `caller`'s images among `ids`, or nothing when one of them is
    /// not theirs (notFound); the last sequence.
    func appendTagsChanged(caller: String, ids: [String], at time: Int64, trace: String) async throws -> Int64

    /// Registers `holder` as one of `consumer`'s replicas and gives it its share of the partitions (taking
    /// free ones, or those whose holder's lease ran out; handing back what is over its share), renewing
    /// its leases to `now + lease`. A consumer not seen before is registered at the oldest event kept.
    func claim(consumer: String, holder: String, now: Int64, lease: Int64) async throws -> ConsumerClaim
    /// Up to `limit` events after the cursors of the partitions `holder` holds, in sequence order.
    func events(consumer: String, holder: String, limit: Int) async throws -> [EventRow]
    /// Moves the cursor of every partition `holder` holds forward to `sequence` (never back) and renews
    /// its leases to `now + lease` (a consumer handling a long batch stays the holder while it commits). A
    /// consumer not registered yet is registered at `sequence`. Whether any cursor was `holder`'s to move.
    @discardableResult
    func commit(consumer: String, holder: String, through sequence: Int64, now: Int64, lease: Int64) async throws
        -> Bool
    /// Removes events created before `cutoff` that every consumer's every partition is past; how many.
    func pruneEvents(cutoff: Int64) async throws -> Int
}

/// What `ImageStore.apply` does to an owner's rows.
enum ImageChange: Sendable {
    /// Inserts the image, or with `overwrite` replaces the owner's image with that key (keeping its id,
    /// position and creation time, dropping its derivatives): `image.created`, or `image.replaced` at `at`.
    case put(ImageRow, overwrite: Bool, at: Int64)
    /// Stores or replaces one derivative of an image that still exists.
    case putDerivative(DerivativeRow)
    /// Deletes those of the owner's images that exist, with their derivatives: `image.deleted` each.
    case delete(ids: [String], at: Int64)
}

/// What a change did.
struct ChangeOutcome: Sendable {
    /// `.put`: the row as stored.
    var image: ImageRow?
    /// The last event appended; 0 when none was.
    var sequence: Int64 = 0
    /// The owner's blobs (sha256) the change released that no row names any more.
    var orphans: Set<String> = []
    /// `.delete`: whether the owner has no image or derivative left (not asked after other changes).
    var ownsNothing = false
}

/// What `StoreService` does around a change's transaction.
struct ChangeHooks: Sendable {
    /// In the transaction, after the rows are written: publishes the blob, checks the caller still waits.
    /// Throwing rolls the change back.
    var beforeCommit: @Sendable () throws -> Void = {}
    /// After the commit, still serialized with the owner's other changes.
    var committed: @Sendable (ChangeOutcome) -> Void = { _ in }
    /// After a rollback, still serialized: whether the blob being published is named by no row.
    var rolledBack: @Sendable (_ publishingIsUnused: Bool) -> Void = { _ in }
}

/// The partitions `claim` gave a consumer's replica.
struct ConsumerClaim: Sendable, Equatable {
    var partitions: [Int]
    /// The lowest cursor among them (among all the consumer's partitions when it holds none).
    var committed: Int64
    /// How far the log has been pruned.
    var prunedThrough: Int64
    /// Whether this call registered the consumer.
    var registered: Bool
}

/// The event log is split into partitions by subject, so the replicas of one consumer share its work: each
/// partition is held by one replica at a time (under a lease it renews with every poll), with its own
/// cursor; a replica that dies stops renewing, and another takes its partitions from their cursors.
enum EventPartitions {
    static let count = 16

    /// FNV-1a of the subject's bytes: stable across processes and versions (Swift's `Hasher` is seeded).
    static func of(_ subject: String) -> Int {
        var hash: UInt32 = 2_166_136_261
        for byte in subject.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return Int(hash % UInt32(count))
    }

    /// A replica's fair share with `holders` replicas alive.
    static func share(holders: Int) -> Int { (count + max(1, holders) - 1) / max(1, holders) }
}
