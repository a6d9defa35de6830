import Logging
import ServiceLifecycle
import ServiceRuntime
import TagIndex
import Wire

/// Tags every new or replaced image and forgets deleted ones, following StoreSvc's event log from its
/// committed cursor. Tagging the same image again gives the same tags and queues no notification twice,
/// so a redelivered event is harmless.
struct DetectionConsumer: Service {
    static let consumer = "tag.detect"
    let service: TagService
    /// How long one poll waits for events.
    var wait = Duration.seconds(10)

    func run() async throws {
        await repeatUntilShutdown(logger: service.logger, "Detection waits for StoreSvc") {
            try await handleNextBatch()
        }
    }

    func handleNextBatch() async throws {
        let batch = try await service.store(
            StoreContract.pollEvents,
            PollEventsRequest(consumer: Self.consumer, limit: 20, wait: wait))
        for event in batch.events {
            switch StoreEvent.Kind(rawValue: event.kind) {
            case .imageCreated, .imageReplaced:
                try await service.tagImage(owner: event.owner, id: event.imageId, sequence: event.sequence)
            case .imageDeleted:
                try await service.forget(imageId: event.imageId)
            case .imageTagsChanged, nil:
                continue
            }
            // One commit per event: an image is detected once even when a later one in the batch fails.
            try await service.store(
                StoreContract.commitEvents, CommitEventsRequest(consumer: Self.consumer, sequence: event.sequence))
        }
    }
}
