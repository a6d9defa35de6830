import Wire

/// TagSvc's methods: detection, the tag index and its queries, manual edits, subscriptions. Ids 400–499.
public enum TagContract {
    /// The tags of images the caller may see (their own and public ones); unknown ids come back pending.
    public static let tagsOf = Method<TagsOfRequest, ImageTagsList>(id: 400, name: "tag.tagsOf", callers: .gateway)
    /// The owner's images that carry every term, newest first.
    public static let query = Method<TagQueryRequest, TaggedPage>(id: 401, name: "tag.query", callers: .gateway)
    /// The owner's tags with how many images carry each.
    public static let listTags = Method<OwnerRequest, TagCounts>(id: 402, name: "tag.listTags", callers: .gateway)
    /// Replaces the visible tags of one of the owner's images by a person's list.
    public static let setTags = Method<SetTagsRequest, ImageTags>(id: 403, name: "tag.setTags", callers: .gateway)
    /// Adds and removes tags on many of the owner's images at once, all or nothing.
    public static let bulkEdit = Method<BulkTagsRequest, ImageTagsList>(
        id: 404, name: "tag.bulkEdit", callers: .gateway)
    /// Detections in an uploaded image; nothing is stored.
    public static let recognize = Method<RecognizeRequest, Recognition>(
        id: 405, name: "tag.recognize", callers: .gateway)
    /// The owner's images that carry every tag detected in an uploaded image.
    public static let similar = Method<SimilarRequest, SimilarResult>(id: 406, name: "tag.similar", callers: .gateway)
    public static let subscribe = Method<SubscribeRequest, Subscription>(
        id: 407, name: "tag.subscribe", callers: .gateway)
    public static let listSubscriptions = Method<OwnerRequest, SubscriptionList>(
        id: 408, name: "tag.listSubscriptions", callers: .gateway)
    public static let unsubscribe = Method<SubscriptionRequest, Empty>(
        id: 409, name: "tag.unsubscribe", callers: .gateway)
    /// Confirms an email subscription to an address other than the account's, by the token mailed to it.
    public static let confirmSubscription = Method<ConfirmSubscriptionRequest, Subscription>(
        id: 410, name: "tag.confirmSubscription", callers: .gateway)
    /// Every tag and subscription of the owner (for account deletion).
    public static let deleteOwner = Method<OwnerRequest, DeletedCount>(
        id: 411, name: "tag.deleteOwner", callers: .gateway)
    public static let getSubscription = Method<SubscriptionRequest, Subscription>(
        id: 412, name: "tag.getSubscription", callers: .gateway)
}

/// Where an image's automatic tagging stands.
public enum TaggingState: String, Codable, Sendable, CaseIterable {
    /// Not detected yet.
    case pending
    case done
    /// The image could not be read by the detector; `ImageTags.error` says why.
    case error
}

/// Who put a tag on an image.
public enum TagSource: String, Codable, Sendable, CaseIterable {
    /// The detector.
    case auto
    /// A person.
    case manual
}

/// A tag as an image carries it.
public struct ImageTag: Codable, Sendable, Hashable {
    public var tag: String
    public var count: Int
    /// The detector's best confidence; nil for a person's tag.
    public var confidence: Double?
    public var source: TagSource

    public init(tag: String, count: Int, confidence: Double? = nil, source: TagSource) {
        (self.tag, self.count, self.confidence, self.source) = (tag, count, confidence, source)
    }

    enum CodingKeys: Int, CodingKey { case tag = 1, count, confidence, source }
}

/// A tag and a count: at least `count` of it in a query, exactly `count` in an edit.
public struct TagTerm: Codable, Sendable, Hashable {
    public var tag: String
    public var count: Int

    public init(tag: String, count: Int = 1) { (self.tag, self.count) = (tag, count) }

    enum CodingKeys: Int, CodingKey { case tag = 1, count }
}

/// One image's visible tags (a person's edits over the detector's) and its tagging state.
public struct ImageTags: Codable, Sendable, Hashable {
    public var imageId: String
    public var tags: [ImageTag]
    public var tagging: TaggingState
    public var error: String?

    public init(imageId: String, tags: [ImageTag], tagging: TaggingState, error: String? = nil) {
        (self.imageId, self.tags, self.tagging, self.error) = (imageId, tags, tagging, error)
    }

    enum CodingKeys: Int, CodingKey { case imageId = 1, tags, tagging, error }
}

public struct TagsOfRequest: Codable, Sendable, Hashable {
    public var caller: String
    public var imageIds: [String]

    public init(caller: String, imageIds: [String]) { (self.caller, self.imageIds) = (caller, imageIds) }

    enum CodingKeys: Int, CodingKey { case caller = 1, imageIds }
}

public struct ImageTagsList: Codable, Sendable, Hashable {
    public var items: [ImageTags]

    public init(items: [ImageTags]) { self.items = items }

    enum CodingKeys: Int, CodingKey { case items = 1 }
}

public struct TagQueryRequest: Codable, Sendable, Hashable {
    public var owner: String
    /// Every term must hold (a tag with at least its count); 1…10 terms.
    public var terms: [TagTerm]
    public var page: PageRequest

    public init(owner: String, terms: [TagTerm], page: PageRequest = PageRequest()) {
        (self.owner, self.terms, self.page) = (owner, terms, page)
    }

    enum CodingKeys: Int, CodingKey { case owner = 1, terms, page }
}

/// A page of images (by id, with their tags), newest first; `nextCursor` is nil on the last page.
public struct TaggedPage: Codable, Sendable, Hashable {
    public var items: [ImageTags]
    public var nextCursor: String?

    public init(items: [ImageTags], nextCursor: String?) { (self.items, self.nextCursor) = (items, nextCursor) }

    enum CodingKeys: Int, CodingKey { case items = 1, nextCursor }
}

public struct TagCount: Codable, Sendable, Hashable {
    public var tag: String
    /// How many of the owner's images carry the tag.
    public var images: Int

    public init(tag: String, images: Int) { (self.tag, self.images) = (tag, images) }

    enum CodingKeys: Int, CodingKey { case tag = 1, images }
}

public struct TagCounts: Codable, Sendable, Hashable {
    public var items: [TagCount]

    public init(items: [TagCount]) { self.items = items }

    enum CodingKeys: Int, CodingKey { case items = 1 }
}

public struct SetTagsRequest: Codable, Sendable, Hashable {
    public var owner: String
    public var imageId: String
    /// The image's tags from now on; an automatic tag left out is hidden until a person adds it again.
    public var tags: [TagTerm]

    public init(owner: String, imageId: String, tags: [TagTerm]) {
        (self.owner, self.imageId, self.tags) = (owner, imageId, tags)
    }

    enum CodingKeys: Int, CodingKey { case owner = 1, imageId, tags }
}

public struct BulkTagsRequest: Codable, Sendable, Hashable {
    public var owner: String
    public var imageIds: [String]
    /// Set on every image with these counts.
    public var add: [TagTerm]
    /// Taken off every image (automatic ones hidden).
    public var remove: [String]

    public init(owner: String, imageIds: [String], add: [TagTerm] = [], remove: [String] = []) {
        (self.owner, self.imageIds, self.add, self.remove) = (owner, imageIds, add, remove)
    }

    enum CodingKeys: Int, CodingKey { case owner = 1, imageIds, add, remove }
}

public struct RecognizeRequest: Codable, Sendable, Hashable {
    public var bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }

    enum CodingKeys: Int, CodingKey { case bytes = 1 }
}

/// One object the detector found, its box in the image's (upright) pixels.
public struct DetectedObject: Codable, Sendable, Hashable {
    public var label: String
    public var confidence: Double
    public var x: Double
    public var y: Double
    public var width: Double
    public var height: Double

    public init(label: String, confidence: Double, x: Double, y: Double, width: Double, height: Double) {
        (self.label, self.confidence, self.x, self.y, self.width, self.height) =
            (label, confidence, x, y, width, height)
    }

    enum CodingKeys: Int, CodingKey { case label = 1, confidence, x, y, width, height }
}

public struct Recognition: Codable, Sendable, Hashable {
    public var width: Int
    public var height: Int
    public var model: String
    public var detections: [DetectedObject]

    public init(width: Int, height: Int, model: String, detections: [DetectedObject]) {
        (self.width, self.height, self.model, self.detections) = (width, height, model, detections)
    }

    enum CodingKeys: Int, CodingKey { case width = 1, height, model, detections }
}

public struct SimilarRequest: Codable, Sendable, Hashable {
    public var owner: String
    public var bytes: [UInt8]
    public var page: PageRequest

    public init(owner: String, bytes: [UInt8], page: PageRequest = PageRequest()) {
        (self.owner, self.bytes, self.page) = (owner, bytes, page)
    }

    enum CodingKeys: Int, CodingKey { case owner = 1, bytes, page }
}

public struct SimilarResult: Codable, Sendable, Hashable {
    /// What the detector found in the query image: each label with its count.
    public var tags: [TagTerm]
    /// The owner's images that carry every one of `tags` (empty when nothing was detected).
    public var page: TaggedPage

    public init(tags: [TagTerm], page: TaggedPage) { (self.tags, self.page) = (tags, page) }

    enum CodingKeys: Int, CodingKey { case tags = 1, page }
}

/// How a subscription reaches its subscriber.
public enum SubscriptionChannel: String, Codable, Sendable, CaseIterable {
    case email
    case webhook
}

public enum SubscriptionStatus: String, Codable, Sendable, CaseIterable {
    /// Waiting for the address to confirm through the link mailed to it.
    case pending
    case active
}

public struct SubscribeRequest: Codable, Sendable, Hashable {
    public var owner: String
    public var tags: [String]
    public var channel: SubscriptionChannel
    /// An email address or a webhook URL; nil for email means the account's verified address.
    public var target: String?
    /// The account's address and whether it is verified (from the caller's token).
    public var accountEmail: String?
    public var accountEmailVerified: Bool
    /// Where the confirmation link of an email subscription points: the gateway's public URL.
    public var publicBaseURL: String

    public init(
        owner: String, tags: [String], channel: SubscriptionChannel, target: String? = nil,
        accountEmail: String? = nil, accountEmailVerified: Bool = false, publicBaseURL: String
    ) {
        (self.owner, self.tags, self.channel, self.target) = (owner, tags, channel, target)
        (self.accountEmail, self.accountEmailVerified, self.publicBaseURL) =
            (accountEmail, accountEmailVerified, publicBaseURL)
    }

    enum CodingKeys: Int, CodingKey {
        case owner = 1, tags, channel, target, accountEmail, accountEmailVerified, publicBaseURL
    }
}

public struct Subscription: Codable, Sendable, Hashable {
    public var id: String
    public var owner: String
    public var tags: [String]
    public var channel: SubscriptionChannel
    public var target: String
    public var status: SubscriptionStatus
    /// Milliseconds since 1970.
    public var createdAt: Int64
    /// The key of the webhook's `X-Clearsky-Signature`; only in the answer to `subscribe`.
    public var secret: String?
    public var delivered: Int
    public var pending: Int
    /// Notifications given up after the retry budget.
    public var dropped: Int
    /// Why the last failed attempt failed.
    public var lastError: String?

    public init(
        id: String, owner: String, tags: [String], channel: SubscriptionChannel, target: String,
        status: SubscriptionStatus, createdAt: Int64, secret: String? = nil, delivered: Int = 0, pending: Int = 0,
        dropped: Int = 0, lastError: String? = nil
    ) {
        (self.id, self.owner, self.tags, self.channel, self.target) = (id, owner, tags, channel, target)
        (self.status, self.createdAt, self.secret) = (status, createdAt, secret)
        (self.delivered, self.pending, self.dropped, self.lastError) = (delivered, pending, dropped, lastError)
    }

    enum CodingKeys: Int, CodingKey {
        case id = 1, owner, tags, channel, target, status, createdAt, secret, delivered, pending, dropped, lastError
    }
}

public struct SubscriptionList: Codable, Sendable, Hashable {
    public var items: [Subscription]

    public init(items: [Subscription]) { self.items = items }

    enum CodingKeys: Int, CodingKey { case items = 1 }
}

public struct SubscriptionRequest: Codable, Sendable, Hashable {
    public var owner: String
    public var id: String

    public init(owner: String, id: String) { (self.owner, self.id) = (owner, id) }

    enum CodingKeys: Int, CodingKey { case owner = 1, id }
}

public struct ConfirmSubscriptionRequest: Codable, Sendable, Hashable {
    public var token: String

    public init(token: String) { self.token = token }

    enum CodingKeys: Int, CodingKey { case token = 1 }
}

/// Error codes of tagging and subscriptions.
extension WireError.Code {
    /// A webhook did not answer its confirmation request as asked (HTTP 422).
    public static let webhookNotConfirmed = Self(2101, "WebhookNotConfirmed")
    /// A webhook target outside public unicast space that the operator's allow-list does not admit (HTTP 422).
    public static let webhookNotAllowed = Self(2102, "WebhookNotAllowed")

    static let tagCodes: [WireError.Code] = [.webhookNotConfirmed, .webhookNotAllowed]
}
