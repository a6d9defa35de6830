import Wire

/// StoreSvc's methods: image blobs and metadata, keys, derivatives, the cache and the event log. Ids 200–299.
public enum StoreContract {
    public static let putImage = Method<PutImageRequest, ImageRecord>(
        id: 200, name: "store.putImage", callers: .gateway.or(.processSvc))
    public static let getImage = Method<ImageRequest, ImageRecord>(
        id: 201, name: "store.getImage", callers: .gateway.or(.processSvc))
    public static let imageByKey = Method<KeyRequest, ImageRecord>(id: 202, name: "store.imageByKey", callers: .gateway)
    public static let imageByThumbnail = Method<ThumbnailURLRequest, ImageRecord>(
        id: 203, name: "store.imageByThumbnail", callers: .gateway)
    public static let listImages = Method<ListImagesRequest, ImagePage>(
        id: 204, name: "store.listImages", callers: .gateway)
    public static let gallery = Method<PageRequest, ImagePage>(id: 205, name: "store.gallery", callers: .gateway)
    public static let content = Method<ContentRequest, ImageContent>(
        id: 206, name: "store.content", callers: .gateway.or(.processSvc).or(.tagSvc))
    public static let deleteImage = Method<ImageRequest, Empty>(
        id: 207, name: "store.deleteImage", callers: .gateway.or(.processSvc))
    public static let deleteOwner = Method<OwnerRequest, DeletedCount>(
        id: 208, name: "store.deleteOwner", callers: .gateway)
    public static let putDerivative = Method<PutDerivativeRequest, DerivativeInfo>(
        id: 209, name: "store.putDerivative", callers: .processSvc)
    public static let derivative = Method<DerivativeRequest, DerivativeContent>(
        id: 210, name: "store.derivative", callers: .gateway.or(.processSvc))
    public static let pollEvents = Method<PollEventsRequest, EventBatch>(
        id: 211, name: "store.pollEvents", callers: .processSvc.or(.tagSvc))
    public static let commitEvents = Method<CommitEventsRequest, Empty>(
        id: 212, name: "store.commitEvents", callers: .processSvc.or(.tagSvc))
    public static let cacheStats = Method<Empty, CacheStats>(id: 213, name: "store.cacheStats", callers: .gateway)
    /// The images among `ids` the caller may see, in the order asked; the others are left out.
    public static let images = Method<ImagesRequest, ImageList>(
        id: 214, name: "store.images", callers: .gateway.or(.tagSvc))
    /// Appends `image.tagsChanged` for each of the caller's images among `ids` (TagSvc, after a person's
    /// edit), in one write; an id that is not the caller's image records nothing and is `notFound`.
    public static let recordTagsChanged = Method<ImagesRequest, Empty>(
        id: 215, name: "store.recordTagsChanged", callers: .tagSvc)
    /// Makes the owner's image shareable until `expiresAt` with a new share id; an earlier share of the
    /// image stops working.
    public static let createShare = Method<CreateShareRequest, Share>(
        id: 216, name: "store.createShare", callers: .gateway)
    /// Ends the image's share, if it has one.
    public static let deleteShare = Method<ImageRequest, Empty>(id: 217, name: "store.deleteShare", callers: .gateway)
    /// The image a live share names, for anyone holding its link; `notFound` once revoked or expired.
    public static let sharedImage = Method<ShareRequest, ImageRecord>(
        id: 218, name: "store.sharedImage", callers: .gateway)
    /// One owner's events after a sequence, waiting up to `waitMillis` for the first (a user's stream).
    /// `committed` of the answer is the log's last sequence when read, so an idle stream can move on.
    public static let readEvents = Method<ReadEventsRequest, EventBatch>(
        id: 219, name: "store.readEvents", callers: .gateway)
    /// Appends `job.changed` for one of the owner's jobs (ProcessSvc, as a job starts and ends).
    public static let recordJobChanged = Method<JobChangedRequest, Empty>(
        id: 220, name: "store.recordJobChanged", callers: .processSvc)
}

public struct CreateShareRequest: Codable, Sendable, Hashable {
    public var image: ImageRequest
    /// Seconds since 1970.
    public var expiresAt: Int64

    public init(image: ImageRequest, expiresAt: Int64) { (self.image, self.expiresAt) = (image, expiresAt) }

    enum CodingKeys: Int, CodingKey { case image = 1, expiresAt }
}

/// A share of one image: who holds the link may read it until `expiresAt`.
public struct Share: Codable, Sendable, Hashable {
    public var imageId: String
    public var shareId: String
    public var expiresAt: Int64

    public init(imageId: String, shareId: String, expiresAt: Int64) {
        (self.imageId, self.shareId, self.expiresAt) = (imageId, shareId, expiresAt)
    }

    enum CodingKeys: Int, CodingKey { case imageId = 1, shareId, expiresAt }
}

public struct ShareRequest: Codable, Sendable, Hashable {
    public var imageId: String
    public var shareId: String

    public init(imageId: String, shareId: String) { (self.imageId, self.shareId) = (imageId, shareId) }

    enum CodingKeys: Int, CodingKey { case imageId = 1, shareId }
}

/// Error codes for image input, shared by StoreSvc and ProcessSvc.
extension WireError.Code {
    /// The bytes are a JPEG or PNG that cannot be decoded, or exceed the pixel limit (HTTP 422).
    public static let invalidImage = Self(2001, "InvalidImage")
    /// The bytes are not an image type Clearsky reads (HTTP 415).
    public static let unsupportedMediaType = Self(2002, "UnsupportedMediaType")
    /// The body is larger than the limit (HTTP 413).
    public static let payloadTooLarge = Self(2003, "PayloadTooLarge")
    /// The key is taken and overwrite was not asked for (HTTP 409).
    public static let keyExists = Self(2004, "KeyExists")

    static let imageCodes: [WireError.Code] = [.invalidImage, .unsupportedMediaType, .payloadTooLarge, .keyExists]
}

/// Who may see an image besides its owner.
public enum Visibility: String, Codable, Sendable, CaseIterable {
    /// The owner only.
    case `private`
    /// Everyone signed in: it shows in the gallery.
    case `public`
}

extension Visibility {
    /// Whether `caller` may read an image of `owner`'s with this visibility: their own, or a public one.
    public func lets(_ caller: String, read owner: String) -> Bool { caller == owner || self == .public }
}

/// One stored image: the metadata of the API's Image (docs/api.md, web/openapi.yaml), without tags (TagSvc's).
public struct ImageRecord: Codable, Sendable, Hashable {
    public var id: String
    /// The owner's `sub`.
    public var owner: String
    public var key: String
    public var filename: String
    public var contentType: String
    public var width: Int
    public var height: Int
    /// Bytes.
    public var size: Int
    /// Lowercase hex SHA-256 of the content.
    public var sha256: String
    public var visibility: Visibility
    /// Milliseconds since 1970.
    public var createdAt: Int64
    /// The image this one was made from (a saved processing result or a job result).
    public var derivedFrom: String?

    public init(
        id: String, owner: String, key: String, filename: String, contentType: String, width: Int, height: Int,
        size: Int, sha256: String, visibility: Visibility, createdAt: Int64, derivedFrom: String? = nil
    ) {
        (self.id, self.owner, self.key, self.filename, self.contentType) = (id, owner, key, filename, contentType)
        (self.width, self.height, self.size, self.sha256) = (width, height, size, sha256)
        (self.visibility, self.createdAt, self.derivedFrom) = (visibility, createdAt, derivedFrom)
    }

    enum CodingKeys: Int, CodingKey {
        case id = 1, owner, key, filename, contentType, width, height, size, sha256, visibility, createdAt, derivedFrom
    }
}

public struct PutImageRequest: Codable, Sendable, Hashable {
    public var owner: String
    /// The caller's key; nil generates one.
    public var key: String?
    /// Replace the image under an existing key instead of answering `keyExists`.
    public var overwrite: Bool
    public var filename: String
    public var visibility: Visibility
    public var bytes: [UInt8]
    public var derivedFrom: String?

    public init(
        owner: String, key: String? = nil, overwrite: Bool = false, filename: String,
        visibility: Visibility = .private, bytes: [UInt8], derivedFrom: String? = nil
    ) {
        (self.owner, self.key, self.overwrite, self.filename) = (owner, key, overwrite, filename)
        (self.visibility, self.bytes, self.derivedFrom) = (visibility, bytes, derivedFrom)
    }

    enum CodingKeys: Int, CodingKey { case owner = 1, key, overwrite, filename, visibility, bytes, derivedFrom }
}

/// One image by id, asked by `owner` (who may read their own and public images).
public struct ImageRequest: Codable, Sendable, Hashable {
    public var owner: String
    public var id: String

    public init(owner: String, id: String) { (self.owner, self.id) = (owner, id) }

    enum CodingKeys: Int, CodingKey { case owner = 1, id }
}

public struct KeyRequest: Codable, Sendable, Hashable {
    public var owner: String
    public var key: String

    public init(owner: String, key: String) { (self.owner, self.key) = (owner, key) }

    enum CodingKeys: Int, CodingKey { case owner = 1, key }
}

/// The image behind a thumbnail URL (absolute or a path), as the gateway hands them out.
public struct ThumbnailURLRequest: Codable, Sendable, Hashable {
    public var owner: String
    public var url: String

    public init(owner: String, url: String) { (self.owner, self.url) = (owner, url) }

    enum CodingKeys: Int, CodingKey { case owner = 1, url }
}

/// A page: at most `limit` items after the opaque `cursor` of the previous page.
public struct PageRequest: Codable, Sendable, Hashable {
    public var limit: Int
    public var cursor: String?

    public init(limit: Int = 50, cursor: String? = nil) { (self.limit, self.cursor) = (limit, cursor) }

    enum CodingKeys: Int, CodingKey { case limit = 1, cursor }
}

/// Cursors of lists kept in insertion order: the position of the last item of the page, newest first.
public enum PageCursor {
    /// The position a page's cursor names (past the end of the list without one), after checking that
    /// the page asks for 1…`maximum` items.
    public static func position(of page: PageRequest, maximum: Int) throws(WireError) -> Int64 {
        guard (1...maximum).contains(page.limit) else {
            throw WireError(.invalidArgument, "limit must be 1…\(maximum)")
        }
        guard let cursor = page.cursor else { return .max }
        // Digits only: Int64 would also take "+5", so one position would have many spellings.
        guard cursor.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            let position = Int64(cursor), position > 0
        else { throw WireError(.invalidArgument, "Bad cursor") }
        return position
    }

    /// The page's items out of `limit + 1` rows read, and the cursor of the next page when there is one.
    public static func split<Row>(_ rows: [Row], limit: Int, position: (Row) -> Int64?) -> (
        items: ArraySlice<Row>, next: String?
    ) {
        split(rows, limit: limit, cursor: { position($0).map(String.init) })
    }

    /// The same for lists whose cursor is not a position: `cursor` names the page's last item.
    public static func split<Row>(_ rows: [Row], limit: Int, cursor: (Row) -> String?) -> (
        items: ArraySlice<Row>, next: String?
    ) {
        let items = rows.prefix(limit)
        return (items, rows.count > limit ? items.last.flatMap(cursor) : nil)
    }
}

public struct ListImagesRequest: Codable, Sendable, Hashable {
    public var owner: String
    public var page: PageRequest

    public init(owner: String, page: PageRequest = PageRequest()) { (self.owner, self.page) = (owner, page) }

    enum CodingKeys: Int, CodingKey { case owner = 1, page }
}

/// Images newest first; `nextCursor` is nil on the last page.
public struct ImagePage: Codable, Sendable, Hashable {
    public var items: [ImageRecord]
    public var nextCursor: String?

    public init(items: [ImageRecord], nextCursor: String?) { (self.items, self.nextCursor) = (items, nextCursor) }

    enum CodingKeys: Int, CodingKey { case items = 1, nextCursor }
}

public struct ImagesRequest: Codable, Sendable, Hashable {
    public var caller: String
    /// At most 500.
    public var ids: [String]

    public init(caller: String, ids: [String]) { (self.caller, self.ids) = (caller, ids) }

    enum CodingKeys: Int, CodingKey { case caller = 1, ids }
}

public struct ImageList: Codable, Sendable, Hashable {
    public var items: [ImageRecord]

    public init(items: [ImageRecord]) { self.items = items }

    enum CodingKeys: Int, CodingKey { case items = 1 }
}

/// An image's bytes, or the `length` bytes from `offset` (an HTTP Range).
public struct ContentRequest: Codable, Sendable, Hashable {
    public var image: ImageRequest
    public var offset: Int?
    public var length: Int?

    public init(image: ImageRequest, offset: Int? = nil, length: Int? = nil) {
        (self.image, self.offset, self.length) = (image, offset, length)
    }

    enum CodingKeys: Int, CodingKey { case image = 1, offset, length }
}

public struct ImageContent: Codable, Sendable, Hashable {
    public var image: ImageRecord
    /// Where `bytes` start in the whole content.
    public var offset: Int
    public var bytes: [UInt8]

    public init(image: ImageRecord, offset: Int, bytes: [UInt8]) {
        (self.image, self.offset, self.bytes) = (image, offset, bytes)
    }

    enum CodingKeys: Int, CodingKey { case image = 1, offset, bytes }
}

public struct OwnerRequest: Codable, Sendable, Hashable {
    public var owner: String

    public init(owner: String) { self.owner = owner }

    enum CodingKeys: Int, CodingKey { case owner = 1 }
}

public struct DeletedCount: Codable, Sendable, Hashable {
    public var count: Int

    public init(count: Int) { self.count = count }

    enum CodingKeys: Int, CodingKey { case count = 1 }
}

/// What a derivative is: one per image and kind.
public enum DerivativeKind: String, Codable, Sendable, CaseIterable {
    case thumbnail
}

public struct PutDerivativeRequest: Codable, Sendable, Hashable {
    public var image: ImageRequest
    public var kind: DerivativeKind
    public var contentType: String
    public var width: Int
    public var height: Int
    public var bytes: [UInt8]

    public init(
        image: ImageRequest, kind: DerivativeKind, contentType: String, width: Int, height: Int, bytes: [UInt8]
    ) {
        (self.image, self.kind, self.contentType, self.width, self.height) = (image, kind, contentType, width, height)
        self.bytes = bytes
    }

    enum CodingKeys: Int, CodingKey { case image = 1, kind, contentType, width, height, bytes }
}

public struct DerivativeInfo: Codable, Sendable, Hashable {
    public var imageId: String
    public var kind: DerivativeKind
    public var contentType: String
    public var width: Int
    public var height: Int
    public var size: Int
    public var sha256: String

    public init(
        imageId: String, kind: DerivativeKind, contentType: String, width: Int, height: Int, size: Int, sha256: String
    ) {
        (self.imageId, self.kind, self.contentType, self.width, self.height) = (
            imageId, kind, contentType, width, height
        )
        (self.size, self.sha256) = (size, sha256)
    }

    enum CodingKeys: Int, CodingKey { case imageId = 1, kind, contentType, width, height, size, sha256 }
}

public struct DerivativeRequest: Codable, Sendable, Hashable {
    public var image: ImageRequest
    public var kind: DerivativeKind

    public init(image: ImageRequest, kind: DerivativeKind) { (self.image, self.kind) = (image, kind) }

    enum CodingKeys: Int, CodingKey { case image = 1, kind }
}

public struct DerivativeContent: Codable, Sendable, Hashable {
    public var info: DerivativeInfo
    public var bytes: [UInt8]
    /// Who owns the image and who may see it, when the sender knows (StoreSvc does), so that a cache in
    /// front of it can answer the next caller without asking again.
    public var imageOwner: String?
    public var visibility: Visibility?

    public init(info: DerivativeInfo, bytes: [UInt8], imageOwner: String? = nil, visibility: Visibility? = nil) {
        (self.info, self.bytes, self.imageOwner, self.visibility) = (info, bytes, imageOwner, visibility)
    }

    enum CodingKeys: Int, CodingKey { case info = 1, bytes, imageOwner, visibility }
}

/// The byte-bounded LRU cache's counters.
public struct CacheStats: Codable, Sendable, Hashable {
    public var hits: Int
    public var misses: Int
    public var evictions: Int
    public var entries: Int
    public var bytes: Int
    public var capacity: Int

    public init(hits: Int, misses: Int, evictions: Int, entries: Int, bytes: Int, capacity: Int) {
        (self.hits, self.misses, self.evictions, self.entries, self.bytes, self.capacity) =
            (hits, misses, evictions, entries, bytes, capacity)
    }

    enum CodingKeys: Int, CodingKey { case hits = 1, misses, evictions, entries, bytes, capacity }
}
