import Foundation
import Wire

/// An entry of StoreSvc's event log, appended in the transaction that made the change.
public struct StoreEvent: Codable, Sendable, Hashable {
    /// What happened; consumers skip the kinds they do not know.
    public enum Kind: String, Codable, Sendable {
        case imageCreated = "image.created"
        case imageDeleted = "image.deleted"
        case imageReplaced = "image.replaced"
        case imageTagsChanged = "image.tagsChanged"
        /// A job of the owner changed state; `imageId` holds the job's id (ProcessSvc records it).
        case jobChanged = "job.changed"
    }

    /// Increasing, without reuse; a consumer's cursor is the last sequence it handled.
    public var sequence: Int64
    public var kind: String
    public var imageId: String
    public var owner: String
    public var visibility: Visibility
    /// Milliseconds since 1970.
    public var createdAt: Int64
    /// The trace context of the request that made the change (a Wire trace field), so that what consumers
    /// do about it joins that request's trace; nil when there was none (and from older StoreSvcs).
    public var trace: String?

    public init(
        sequence: Int64, kind: String, imageId: String, owner: String, visibility: Visibility, createdAt: Int64,
        trace: String? = nil
    ) {
        (self.sequence, self.kind, self.imageId, self.owner) = (sequence, kind, imageId, owner)
        (self.visibility, self.createdAt, self.trace) = (visibility, createdAt, trace)
    }

    enum CodingKeys: Int, CodingKey { case sequence = 1, kind, imageId, owner, visibility, createdAt, trace }
}

/// Events after the consumer's committed cursors, in the partitions of the log this replica of the
/// consumer holds; waits up to `waitMillis` when there are none yet. The replicas of one consumer (one
/// `consumer` name, each its own `holder`) share the log's partitions: each poll renews the holder's
/// leases and evens out the shares, and a holder that stops polling loses its partitions to the others
/// once its lease runs out. Without a holder, a poll acts for the consumer's one unnamed replica.
public struct PollEventsRequest: Codable, Sendable, Hashable {
    /// A stable name per consuming component (`process.thumbnails`, `tag.detect`).
    public var consumer: String
    public var limit: Int
    public var waitMillis: Int
    /// Which replica of the consumer polls: unique per process (`ConsumerHolder.id`), 1…100 printable characters.
    public var holder: String?

    public init(consumer: String, limit: Int = 100, waitMillis: Int = 10_000, holder: String? = nil) {
        (self.consumer, self.limit, self.waitMillis, self.holder) = (consumer, limit, waitMillis, holder)
    }

    /// A poll that waits up to `wait` (whole milliseconds).
    public init(consumer: String, limit: Int, wait: Duration, holder: String? = nil) {
        let (seconds, attoseconds) = wait.components
        self.init(
            consumer: consumer, limit: limit, waitMillis: Int(seconds * 1000 + attoseconds / 1_000_000_000_000_000),
            holder: holder)
    }

    enum CodingKeys: Int, CodingKey { case consumer = 1, limit, waitMillis, holder }
}

/// A name for this process as a replica of an event consumer: host name, process id and random bytes.
public enum ConsumerHolder {
    public static let id: String = {
        var random = SystemRandomNumberGenerator()
        let host = ProcessInfo.processInfo.hostName.prefix(40)
        return "\(host)-\(ProcessInfo.processInfo.processIdentifier)-\(String(random.next() as UInt64, radix: 36))"
    }()
}

public struct EventBatch: Codable, Sendable, Hashable {
    public var events: [StoreEvent]
    /// The consumer's committed cursor when the batch was read.
    public var committed: Int64
    /// Set when the log was pruned past the consumer's cursor (a consumer registered after its events had
    /// gone): events up to this sequence are gone, and the batch starts from the oldest kept.
    public var prunedThrough: Int64?

    public init(events: [StoreEvent], committed: Int64, prunedThrough: Int64? = nil) {
        (self.events, self.committed, self.prunedThrough) = (events, committed, prunedThrough)
    }

    enum CodingKeys: Int, CodingKey { case events = 1, committed, prunedThrough }
}

/// Marks every event up to `sequence` as handled by `consumer`; a cursor never moves back.
/// Marks every event up to `sequence` in the holder's partitions as handled.
public struct CommitEventsRequest: Codable, Sendable, Hashable {
    public var consumer: String
    public var sequence: Int64
    /// The replica that polled the events (`PollEventsRequest.holder`).
    public var holder: String?

    public init(consumer: String, sequence: Int64, holder: String? = nil) {
        (self.consumer, self.sequence, self.holder) = (consumer, sequence, holder)
    }

    enum CodingKeys: Int, CodingKey { case consumer = 1, sequence, holder }
}

/// One owner's events after `after`, for a user's own stream (the gateway's `GET /v1/events`); no
/// consumer cursor is kept: the caller remembers where it is (Last-Event-ID).
public struct ReadEventsRequest: Codable, Sendable, Hashable {
    public var owner: String
    public var after: Int64
    public var limit: Int
    public var waitMillis: Int

    public init(owner: String, after: Int64, limit: Int = 100, waitMillis: Int = 25_000) {
        (self.owner, self.after, self.limit, self.waitMillis) = (owner, after, limit, waitMillis)
    }

    enum CodingKeys: Int, CodingKey { case owner = 1, after, limit, waitMillis }
}

/// Records that one of `owner`'s jobs changed state.
public struct JobChangedRequest: Codable, Sendable, Hashable {
    public var owner: String
    public var jobId: String

    public init(owner: String, jobId: String) { (self.owner, self.jobId) = (owner, jobId) }

    enum CodingKeys: Int, CodingKey { case owner = 1, jobId }
}
