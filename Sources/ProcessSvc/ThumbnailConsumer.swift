import Contracts
import Logging
import ServiceLifecycle
import ServiceRuntime
import Wire

/// Makes the thumbnail of every new or replaced image, following StoreSvc's event log from its
/// committed cursor. A thumbnail that already exists is not made again, so a redelivered event is harmless.
struct ThumbnailConsumer: Service {
    static let consumer = "process.thumbnails"
    let service: ProcessService
    /// How long one poll waits for events.
    var wait = Duration.seconds(10)
    /// Which replica of the consumer this is (one per process; tests running two in one process name them).
    var holder = ConsumerHolder.id

    func run() async throws {
        // StoreSvc still starting (or restarting) is expected; anything else is worth a warning.
        await repeatUntilShutdown(logger: service.logger, "Thumbnail consumer waits for StoreSvc") {
            try await handleNextBatch()
        }
    }

    func handleNextBatch() async throws {
        let batch = try await service.store(
            StoreContract.pollEvents,
            PollEventsRequest(consumer: Self.consumer, limit: 50, wait: wait, holder: holder))
        if let pruned = batch.prunedThrough {
            service.logger.notice(
                "Events up to \(pruned) were pruned before this consumer read them; starting from the oldest kept",
                metadata: ["consumer": "\(Self.consumer)"])
        }
        guard let last = batch.events.last else { return }
        for event in batch.events
        where event.kind == StoreEvent.Kind.imageCreated.rawValue
            || event.kind == StoreEvent.Kind.imageReplaced.rawValue
        {
            // In the trace of the request that made the change.
            try await WireTrace.run("process.thumbnail", ofKind: .consumer, trace: event.trace ?? "") {
                try await thumbnail(event)
            }
            // As it goes: a commit also renews this replica's hold on its partitions of the log.
            _ = try await service.store(
                StoreContract.commitEvents,
                CommitEventsRequest(consumer: Self.consumer, sequence: event.sequence, holder: holder))
        }
        _ = try await service.store(
            StoreContract.commitEvents,
            CommitEventsRequest(consumer: Self.consumer, sequence: last.sequence, holder: holder))
    }

    private func thumbnail(_ event: StoreEvent) async throws {
        do {
            let thumbnail = try await service.thumbnail(ImageRequest(owner: event.owner, id: event.imageId))
            service.logger.info(
                "Thumbnail ready", metadata: ["image": "\(event.imageId)", "bytes": "\(thumbnail.bytes.count)"])
        } catch let error as WireError where !error.isTransient {
            // Deleted since, an image that cannot be thumbnailed, a blob gone missing: retrying would
            // fail the same way and hold up every event behind this one.
            service.logger.log(
                level: error.code == .notFound ? .info : .warning, "No thumbnail",
                metadata: ["image": "\(event.imageId)", "why": "\(error)"])
        }
    }
}
