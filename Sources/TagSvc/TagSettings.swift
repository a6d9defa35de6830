import Detection
import Imaging

/// TagSvc's tunables; the defaults are production's, tests shorten the waits.
struct TagSettings: Sendable {
    /// Largest width × height decoded for detection.
    var pixelLimit = DecodeOptions.defaultPixelLimit
    /// Largest page of a tag query.
    var maxPageSize = 200
    /// Notifications delivered or given up longer ago than this are pruned from the queue. Default 7 days.
    var deliveryRetention: Int64 = 7 * 86_400_000
    /// The model the detections come from, as `POST /v1/recognize` names it.
    var modelName = "yolov3-tiny"
    var mailFrom = "Clearsky <no-reply@clearsky.local>"
    var maxSubscriptions = 100
    /// Subscribe requests one account may make in an hour, deleted ones included (M6). Default 20.
    var subscribesPerHour = 20
    /// Confirmation mails one address may get in a day, from all accounts together. Default 3.
    var confirmationsPerAddressPerDay = 3
    /// Confirmation mails one account may cause in a day. Default 10.
    var confirmationsPerOwnerPerDay = 10
    /// How long a confirmation link works, milliseconds. Default 7 days (L5).
    var confirmationLifetimeMillis: Int64 = 7 * 86_400_000
    /// Attempts per notification before it is dropped.
    var deliveryAttempts = 8
    /// The wait after the first failed attempt; it doubles after each further one, up to `maxRetryDelayMillis`.
    var retryDelayMillis: Int64 = 2_000
    var maxRetryDelayMillis: Int64 = 15 * 60_000
    var webhookTimeoutMillis: Int64 = 10_000
    /// How long a notification taken for an attempt is held by its sender; if the sender dies, the
    /// notification is due again after it. Well past the webhook timeout. Default 2 minutes.
    var deliveryLeaseMillis: Int64 = 120_000
    /// Notifications in flight at once. Default 32.
    var deliveryConcurrency = 32
    /// Notifications in flight at once for the subscriptions of one account, so that one account's
    /// unanswering webhooks hold at most this many of the slots (M13). Default 4.
    var deliveriesPerOwner = 4
    /// Where webhooks may go: public unicast addresses, plus the operator's allow-list. Default: no list.
    var outbound = OutboundPolicy()
    /// Threads one detection uses; nil: every core. On a small machine shared with uploads and jobs, fewer
    /// threads leave cores to the other services (detection runs one image at a time per process).
    var detectionThreads: Int?

    /// The detector for the model in `folder`, with `detectionThreads`.
    func detector(modelFolder folder: String) throws -> Detector {
        var detector = try Detector(files: try ModelFiles(folder: folder))
        if let detectionThreads { detector.parallelism = Parallelism(threads: detectionThreads) }
        return detector
    }

    /// The wait before the attempt after `attempts` failures: exponential, with full jitter over its
    /// upper half so that many failing deliveries do not retry in step.
    func backoff(afterAttempt attempts: Int) -> Int64 {
        let exponential = retryDelayMillis << Int64(min(max(attempts - 1, 0), 30))
        let ceiling = min(maxRetryDelayMillis, exponential)
        return ceiling / 2 + Int64.random(in: 0...max(0, ceiling / 2))
    }
}
