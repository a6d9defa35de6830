import Contracts
import Detection
import TagIndex
import Wire

/// TagSvc's state: the images it knows with their automatic and manual tags, subscriptions, the
/// notification queue, rate events and the detection consumer's attempt counts. Every statement TagSvc
/// runs is behind this protocol; `SQLiteTagDatabase` (TagIndex's `TagStore`, a file of this process's
/// own, with the visible tags in memory for queries) is the one today.
protocol TagDatabase: Sendable {
    // MARK: Images and tags

    /// Takes the visibility StoreSvc has now (detection takes a while: L12).
    func setVisibility(imageId: String, visibility: Visibility) async throws
    /// Records how detecting `image` ended (its automatic tags, or why it failed), refreshes its visible
    /// tags and queues the notifications for the tags it gained, in one transaction; the tags it gained.
    func recordTagging(_ image: ImageRecord, outcome: Result<[DetectedTag], WireError>, notifications: Notifications)
        async throws -> [String]
    /// Records that the image could not be tagged (its event was skipped as poison).
    func markTaggingFailed(_ event: StoreEvent, reason: String) async throws
    func forget(imageId: String) async throws
    /// The visible tags and tagging state of the known images among `ids`, by id.
    func tags(of ids: [String]) async throws -> [String: (TaggedImageRow, [ImageTag])]
    /// The owner's images carrying every term, newest first, after `after`.
    func query(owner: String, terms: [TagTerm], after: QueryCursor, limit: Int) async throws -> TaggedPage
    func tagCounts(owner: String) async throws -> TagCounts
    /// Learns the images StoreSvc vouched for (`current`, with their visibility now), applies `edit` to each
    /// of `ids` (all the owner's, or the whole edit fails with notFound), refreshes their visible tags and
    /// queues notifications for what they gained, in one transaction.
    func edit(owner: String, current: [ImageRecord], ids: [String], _ edit: TagEdit, notifications: Notifications)
        async throws -> (items: [ImageTags], gained: Bool)
    /// Every image, tag and subscription of the owner; how many images.
    func deleteOwner(_ owner: String) async throws -> Int

    // MARK: Subscriptions

    /// Counts an event of `kind` for `key` unless `limit` of them happened within `window` before `now`;
    /// how many milliseconds until one may happen otherwise. Rate events older than `forgetBefore` go.
    func admit(_ event: RateEvent, now: Int64, forgetBefore: Int64?) async throws -> Int64?
    /// Inserts the subscription with its tags, after admitting `confirmations` (when it mails a
    /// confirmation) in the same transaction; the wait when one of them refused.
    func insert(_ subscription: SubscriptionRow, tags: [String], confirmations: [RateEvent], now: Int64)
        async throws -> Int64?
    func subscriptions(owner: String) async throws -> [Subscription]
    func subscription(id: String, owner: String) async throws -> Subscription?
    func subscriptionCount(owner: String) async throws -> Int
    func deleteSubscription(id: String, owner: String) async throws -> Bool
    /// Activates the pending subscription `token` names when it was created after `createdAfter`.
    func confirmSubscription(token: String, createdAfter: Int64) async throws -> Subscription?

    // MARK: The notification queue

    /// Takes up to `limit` notifications due at `now`, oldest first, at most `perOwner` per subscriber's
    /// account counting the ones taken and not finished; each is held until `now + lease` (after that,
    /// one whose sender died is due again).
    func claimDeliveries(limit: Int, perOwner: Int, now: Int64, lease: Int64) async throws -> [Delivery]
    /// When the next pending notification falls due (or its hold ends); nil when none is pending.
    func nextDeliveryDue() async throws -> Int64?
    func finishDelivery(_ id: Int64, _ outcome: DeliveryOutcome) async throws
    /// Removes notifications delivered or dropped before `before`; how many.
    func pruneDeliveries(before: Int64) async throws -> Int

    // MARK: The detection consumer's attempts

    /// One more attempt at event `sequence`, counted before it is handled; the count, this one included.
    func countAttempt(consumer: String, sequence: Int64) async throws -> Int
    func recordFailure(consumer: String, sequence: Int64, reason: String) async throws
    func lastFailure(consumer: String, sequence: Int64) async throws -> String?
    /// Takes back an attempt that failed for a reason outside the event (the store was down, shutdown).
    func uncountAttempt(consumer: String, sequence: Int64) async throws
    /// The event is handled (or skipped): its count goes.
    func settled(consumer: String, sequence: Int64) async throws
}

/// A person's change to an image's manual tags.
enum TagEdit: Sendable {
    /// The image shows exactly these from now on: automatic tags not among them are hidden.
    case set([TagTerm])
    case bulk(add: [TagTerm], remove: [String])
}

/// How a transaction that may queue notifications names its change and builds their bodies.
struct Notifications: Sendable {
    /// Names the change, so that doing it again queues nothing twice.
    var reason: String
    var now: Int64
    /// The JSON body for one subscription: its id, base URL, the tags it matched, the image, its tags.
    var payload:
        @Sendable (_ subscription: String, _ baseURL: String, _ matched: [String], TaggedImageRow, [ImageTag])
            -> String
}

/// A sliding-window rate event (M6).
struct RateEvent: Sendable {
    var kind: String
    var key: String
    var window: Int64
    var limit: Int
}

/// A row of `subscription` to insert.
struct SubscriptionRow: Sendable {
    var id: String
    var owner: String
    var channel: SubscriptionChannel
    var target: String
    var secret: String
    var status: SubscriptionStatus
    var confirmToken: String?
    var baseURL: String
    var createdAt: Int64
}

/// Where one queued notification stands.
enum DeliveryStatus: String, Sendable {
    /// Waiting for its next attempt (`nextAttemptAt`).
    case pending
    case delivered
    /// Given up after the retry budget; `lastError` says why.
    case dropped
}

/// A notification taken for an attempt.
struct Delivery: Sendable {
    var id: Int64
    var payload: String
    var attempts: Int
    var channel: SubscriptionChannel
    var target: String
    var secret: String
}

/// How an attempt ended.
enum DeliveryOutcome: Sendable {
    case delivered(attempts: Int, at: Int64)
    case retry(attempts: Int, at: Int64, error: String)
    case dropped(attempts: Int, at: Int64, error: String)
}
