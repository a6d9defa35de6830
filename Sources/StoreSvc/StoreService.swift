import Contracts
import Foundation
import Logging
import ServiceRuntime
import Synchronization
import Wire

/// Images and their derivatives: metadata in the image store (SQLite, or PostgreSQL shared by replicas),
/// bytes in the blob store behind the LRU cache, and the event log. Every change and its event commit in
/// one transaction.
final class StoreService: Sendable {
    let store: any ImageStore
    let blobs: BlobStore
    let cache: BlobCache
    let derivatives = DerivativeIndex()
    let settings: StoreSettings
    let logger: Logger
    let nowMillis: @Sendable () -> Int64
    /// The newest event sequence committed that this replica knows of, so that waiting pollers need not
    /// query: its own appends move it at once; with a shared store, `latestSequence` reads the database's
    /// for everyone at most every `followInterval`.
    let lastSequence: Atomic<Int64>
    private let lastFollowed = Mutex(ContinuousClock.now)
    static let followInterval = Duration.milliseconds(20)

    init(
        store: any ImageStore, blobs: BlobStore, settings: StoreSettings, logger: Logger,
        nowMillis: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }
    ) async throws {
        (self.store, self.blobs, self.settings, self.logger, self.nowMillis) = (
            store, blobs, settings, logger, nowMillis
        )
        cache = BlobCache(capacity: settings.cacheCapacity)
        lastSequence = Atomic(try await store.lastSequence())
        try await recover()
    }

    /// The service over its files in `folder` (the service's state folder): `blobs/`, `tmp/` and, unless
    /// `store` is given, `images.sqlite`.
    static func open(folder: String, store: (any ImageStore)? = nil, settings: StoreSettings, logger: Logger)
        async throws -> StoreService
    {
        try await StoreService(
            store: try store ?? SQLiteImageStore(path: "\(folder)/images.sqlite"), blobs: BlobStore(root: folder),
            settings: settings, logger: logger)
    }

    /// Blobs without a row that are younger than this are left at start when the store is shared: another
    /// replica may have published one whose row is about to commit.
    static let sharedOrphanAge: TimeInterval = 3600

    /// After a crash: staged files are dropped, and blobs no row uses (renamed just before the crash) removed.
    /// With a shared store and blob folder, only what is older than `sharedOrphanAge` goes.
    private func recover() async throws {
        let olderThan = store.isShared ? Date().addingTimeInterval(-Self.sharedOrphanAge) : nil
        blobs.sweepTemporary(olderThan: olderThan)
        let referenced = try await store.blobsInUse()
        for blob in blobs.allBlobs() where !referenced.contains("\(blob.owner)/\(blob.sha256)") {
            if let olderThan, blobs.modified(owner: blob.owner, sha256: blob.sha256).map({ $0 >= olderThan }) ?? true {
                continue
            }
            logger.notice("Removing an unreferenced blob", metadata: ["owner": "\(blob.owner)"])
            blobs.remove(owner: blob.owner, sha256: blob.sha256)
        }
    }

    /// The newest committed sequence: this replica's own appends, and with a shared store the database's.
    func latestSequence() async throws -> Int64 {
        let known = lastSequence.load(ordering: .acquiring)
        guard store.isShared else { return known }
        let now = ContinuousClock.now
        let due = lastFollowed.withLock { last in
            guard now - last >= Self.followInterval else { return false }
            last = now
            return true
        }
        guard due else { return known }
        let stored = try await store.lastSequence()
        published(stored)
        return max(known, stored)
    }

    // MARK: Reading

    /// The image `request.owner` may see: their own, or anyone's public one. Others are not found.
    func visibleImage(_ request: ImageRequest) async throws -> ImageRow {
        let row = try await store.image(id: request.id)
        guard let row, row.access.lets(request.owner, read: row.owner) else {
            throw WireError(.notFound, "No image \(request.id)")
        }
        return row
    }

    /// An image of `owner`'s own, for changes.
    func ownedImage(_ request: ImageRequest) async throws -> ImageRow {
        guard let row = try await store.image(id: request.id, owner: request.owner) else {
            throw WireError(.notFound, "No image \(request.id)")
        }
        return row
    }

    /// The visible images among `request.ids`, in the order asked.
    func images(_ request: ImagesRequest) async throws -> ImageList {
        guard request.ids.count <= 500 else { throw WireError(.invalidArgument, "At most 500 ids at once") }
        let rows = try await store.images(ids: request.ids)
        let visible = Dictionary(
            rows.filter { $0.access.lets(request.caller, read: $0.owner) }.map { ($0.id, $0) },
            uniquingKeysWith: { first, _ in first })
        return ImageList(items: request.ids.compactMap { visible[$0]?.record })
    }

    func image(byKey request: KeyRequest) async throws -> ImageRecord {
        guard let row = try await store.image(owner: request.owner, key: request.key) else {
            throw WireError(.notFound, "No image with key '\(request.key)'")
        }
        return row.record
    }

    func image(byThumbnail request: ThumbnailURLRequest) async throws -> ImageRecord {
        guard let id = ImageURLs.imageId(fromThumbnailURL: request.url) else {
            throw WireError(.invalidArgument, "Not a thumbnail URL: '\(request.url)'")
        }
        return try await visibleImage(ImageRequest(owner: request.owner, id: id)).record
    }

    /// `owner`'s images, or everyone's public ones when `owner` is nil, newest first.
    func list(owner: String?, page: PageRequest) async throws -> ImagePage {
        let after = try PageCursor.position(of: page, maximum: settings.maxPageSize)
        let rows = try await store.images(owner: owner, before: after, limit: page.limit + 1)
        let (items, next) = PageCursor.split(rows, limit: page.limit, position: \.position)
        return ImagePage(items: items.map(\.record), nextCursor: next)
    }

    func content(_ request: ContentRequest) async throws -> ImageContent {
        let row = try await visibleImage(request.image)
        let offset = request.offset ?? 0
        guard offset >= 0, offset <= row.size, (request.length ?? 0) >= 0 else {
            throw WireError(.outOfRange, "Range outside the image's \(row.size) bytes")
        }
        let length = min(request.length ?? row.size, row.size - offset)
        let bytes = try await blob(
            owner: row.owner, sha256: row.sha256, offset: offset, length: length, size: row.size)
        return ImageContent(image: row.record, offset: offset, bytes: bytes)
    }

    /// A derivative of an image the caller may see. Hot ones are answered from memory: the index for the
    /// metadata, the cache for the bytes.
    func derivative(_ request: DerivativeRequest) async throws -> DerivativeContent {
        let key = DerivativeIndex.key(request.image.id, request.kind)
        var entry = derivatives.lookup(key)
        if entry == nil {
            let generation = derivatives.generation
            let (image, row) = try await store.derivative(imageId: request.image.id, kind: request.kind)
            guard let image, image.access.lets(request.image.owner, read: image.owner) else {
                throw WireError(.notFound, "No image \(request.image.id)")
            }
            guard let row else { throw WireError(.notFound, "Image \(image.id) has no \(request.kind.rawValue) yet") }
            entry = DerivativeIndex.Entry(owner: image.owner, visibility: image.access, row: row)
            derivatives.remember(key, entry!, readAt: generation)
        }
        guard let entry, entry.visibility.lets(request.image.owner, read: entry.owner) else {
            throw WireError(.notFound, "No image \(request.image.id)")
        }
        let row = entry.row
        let bytes = try await blob(owner: row.owner, sha256: row.sha256, offset: 0, length: row.size, size: row.size)
        return DerivativeContent(info: row.info, bytes: bytes, imageOwner: entry.owner, visibility: entry.visibility)
    }

    /// Bytes through the cache: whole blobs are cached, ranges of uncached blobs read from disk (through
    /// `Offload`, so that no thread serving requests waits for the disk).
    private func blob(owner: String, sha256: String, offset: Int, length: Int, size: Int) async throws -> [UInt8] {
        let key = "\(owner)/\(sha256)"
        if let cached = cache.get(key) {
            return offset == 0 && length == cached.count ? cached : Array(cached[offset..<offset + length])
        }
        let blobs = self.blobs
        if offset == 0 && length == size {
            let bytes = try await Offload.run { Result { try blobs.read(owner: owner, sha256: sha256) } }.get()
            cache.put(key, bytes)
            return bytes
        }
        return try await Offload.run {
            Result { try blobs.read(owner: owner, sha256: sha256, offset: offset, length: length) }
        }.get()
    }

    func forget(owner: String, sha256: String) {
        cache.remove("\(owner)/\(sha256)")
        blobs.remove(owner: owner, sha256: sha256)
    }

    static func checkOwner(_ owner: String) throws(WireError) {
        guard (1...64).contains(owner.utf8.count),
            owner.utf8.allSatisfy({
                $0 == 0x2D || $0 == 0x5F || (0x30...0x39).contains($0) || (0x41...0x5A).contains($0)
                    || (0x61...0x7A).contains($0)
            })
        else { throw WireError(.invalidArgument, "Invalid owner") }
    }
}
