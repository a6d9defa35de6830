import Contracts
import Logging
import ServiceLifecycle
import ServiceRuntime
import Wire

/// Tags every new or replaced image and forgets deleted ones, following StoreSvc's event log from its
/// committed cursor. Tagging the same image again gives the same tags and queues no notification twice,
/// so a redelivered event is harmless.
///
/// A poison event (one whose handling fails every time, or ends the process) is tried `maxAttempts`
/// times, counted in TagSvc's database before each try; then its image is recorded as `tagging: error`
/// with the reason, the event is committed and the consumer moves on (review finding H5).
struct DetectionConsumer: Service {
    static let consumer = "tag.detect"
    let service: TagService
    /// How long one poll waits for events.
    var wait = Duration.seconds(10)
    /// Which replica of the consumer this is (one per process; tests running two in one process name them).
    var holder = ConsumerHolder.id
    /// Tries at one event before it is skipped. Default 5.
    var maxAttempts = 5

    func run() async throws {
        await repeatUntilShutdown(logger: service.logger, "Detection waits for StoreSvc") {
            try await handleNextBatch()
        }
    }

    func handleNextBatch() async throws {
        let batch = try await service.store(
            StoreContract.pollEvents,
            PollEventsRequest(consumer: Self.consumer, limit: 20, wait: wait, holder: holder))
        if let pruned = batch.prunedThrough {
            service.logger.notice(
                "Events up to \(pruned) were pruned before this consumer read them; starting from the oldest kept",
                metadata: ["consumer": "\(Self.consumer)"])
        }
        for event in batch.events {
            switch StoreEvent.Kind(rawValue: event.kind) {
            case .imageCreated, .imageReplaced, .imageDeleted:
                // In the trace of the request that made the change.
                try await WireTrace.run("tag.detect \(event.kind)", ofKind: .consumer, trace: event.trace ?? "") {
                    try await handle(event)
                }
            case .imageTagsChanged, .jobChanged, nil: break
            }
            // One commit per event: an image is detected once even when a later one in the batch fails.
            _ = try await service.store(
                StoreContract.commitEvents,
                CommitEventsRequest(consumer: Self.consumer, sequence: event.sequence, holder: holder))
        }
    }

    private func handle(_ event: StoreEvent) async throws {
        let (consumer, sequence, tags) = (Self.consumer, event.sequence, service.tags)
        let attempts = try await tags.countAttempt(consumer: consumer, sequence: sequence)
        if attempts > maxAttempts {
            let last = try await tags.lastFailure(consumer: consumer, sequence: sequence)
            let reason = "Tagging failed \(maxAttempts) times: \(last ?? "the service stopped while tagging")"
            service.logger.error(
                "Event skipped", metadata: ["sequence": "\(sequence)", "image": "\(event.imageId)", "why": "\(reason)"])
            if event.kind != StoreEvent.Kind.imageDeleted.rawValue {
                try await service.markTaggingFailed(event, reason: reason)
            }
            try await tags.settled(consumer: consumer, sequence: sequence)
            return
        }
        do {
            if event.kind == StoreEvent.Kind.imageDeleted.rawValue {
                try await service.forget(imageId: event.imageId)
            } else {
                try await service.tagImage(owner: event.owner, id: event.imageId, sequence: sequence)
            }
        } catch {
            // Not the event's fault when the store is down or the service is stopping: try again later
            // without spending an attempt.
            let outside = Task.isCancelled || (error as? WireError)?.code == .unavailable
            let reason = (error as? WireError)?.message ?? "\(error)"
            await settle(sequence, spent: !outside, reason: reason)
            throw error
        }
        try await tags.settled(consumer: consumer, sequence: sequence)
    }

    /// Records why an attempt failed, or takes it back. In a task of its own, because it must also run
    /// when this one is being cancelled (a store's writes refuse to start in a cancelled task).
    private func settle(_ sequence: Int64, spent: Bool, reason: String) async {
        let tags = service.tags
        await Task.detached {
            if spent {
                try? await tags.recordFailure(consumer: Self.consumer, sequence: sequence, reason: reason)
            } else {
                try? await tags.uncountAttempt(consumer: Self.consumer, sequence: sequence)
            }
        }.value
    }
}
