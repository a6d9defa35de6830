import Contracts
import Foundation
import Synchronization
import TagIndex
import TestImages
import TestServers
import Testing
import Wire
import WireTesting

@testable import TagSvc

/// H5: an event whose handling fails every time no longer stops tagging for everyone.
@Suite struct PoisonEventTests {
    @Test(arguments: StoreBackend.allCases)
    func aPoisonEventIsTriedABoundedNumberOfTimesThenRecordedAndSkipped(_ backend: StoreBackend) async throws {
        try await TagHarness.run(backend) { harness in
            let owner = TagHarness.owner()
            let poison = try await harness.put(owner, TestImages.fruits)
            let good = try await harness.put(owner, TestImages.street)
            let contentCalls = Mutex(0)
            // StoreSvc as TagSvc sees it, but the first image's blob is gone: every read of it fails with
            // an internal error (what M1's orphaned blob did), never with notFound.
            var router = WireRouter()
            let store = harness.store
            router.register(StoreContract.pollEvents) { request, _ in
                try await store.call(StoreContract.pollEvents, request)
            }
            router.register(StoreContract.commitEvents) { request, _ in
                try await store.call(StoreContract.commitEvents, request)
            }
            router.register(StoreContract.content) { request, _ in
                guard request.image.id != poison.id else {
                    contentCalls.withLock { $0 += 1 }
                    throw WireError(.internal, "blob missing")
                }
                return try await store.call(StoreContract.content, request)
            }
            try await withWireServer(service: ServiceName.store.rawValue, router: router) { broken in
                let client = broken.client()
                let service = TagService(
                    store: { client }, detector: harness.service.detector, tags: harness.service.tags,
                    settings: harness.service.settings, mail: harness.service.mail, logger: harness.service.logger)
                try await running([DetectionConsumer(service: service, wait: .milliseconds(200), maxAttempts: 3)]) {
                    let goodTags = try await harness.tagged(owner, good.id, timeout: .seconds(40))
                    #expect(goodTags.tagging == .done)
                    let failed = try await harness.tagged(owner, poison.id, timeout: .seconds(5))
                    #expect(failed.tagging == .error)
                    #expect(failed.error?.contains("Tagging failed 3 times") == true, "\(failed.error ?? "")")
                    #expect(failed.error?.contains("blob missing") == true)
                }
                #expect(contentCalls.withLock { $0 } == 3)
            }
        }
    }

    @Test func attemptsAreCountedInTheDatabaseUntilSettled() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString).path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = try SQLiteTagDatabase(folder: folder)
        #expect(try await store.countAttempt(consumer: "c", sequence: 7) == 1)
        #expect(try await store.countAttempt(consumer: "c", sequence: 7) == 2)
        try await store.uncountAttempt(consumer: "c", sequence: 7)
        #expect(try await store.countAttempt(consumer: "c", sequence: 7) == 2)
        try await store.recordFailure(consumer: "c", sequence: 7, reason: "bad")
        #expect(try await store.lastFailure(consumer: "c", sequence: 7) == "bad")
        #expect(try await store.countAttempt(consumer: "other", sequence: 7) == 1)
        // Another replica's event (another partition) leaves this count alone; settling ends it.
        #expect(try await store.countAttempt(consumer: "c", sequence: 8) == 1)
        #expect(try await store.lastFailure(consumer: "c", sequence: 7) == "bad")
        try await store.settled(consumer: "c", sequence: 7)
        #expect(try await store.lastFailure(consumer: "c", sequence: 7) == nil)
        #expect(try await store.countAttempt(consumer: "c", sequence: 7) == 1)
        // Counted in the file: a service that died while handling the event sees the count after restart.
        let reopened = try SQLiteTagDatabase(folder: folder)
        #expect(try await reopened.countAttempt(consumer: "c", sequence: 8) == 2)
    }
}
