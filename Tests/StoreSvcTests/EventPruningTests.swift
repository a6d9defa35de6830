import Contracts
import Foundation
import TestImages
import TestServers
import Testing
import Wire
import WireTesting

@testable import StoreSvc

/// The event log is pruned of events every registered consumer has committed past and that are older than
/// the retention (L6); a consumer registered later starts from the oldest event kept, and is told so.
@Suite struct EventPruningTests {
    func poll(_ store: StoreHarness, _ consumer: String) async throws -> EventBatch {
        try await store.call(StoreContract.pollEvents, PollEventsRequest(consumer: consumer, waitMillis: 0))
    }

    @Test(arguments: StoreBackend.allCases)
    func eventsGoOnceEveryConsumerIsPastThemAndTheyAreOld(_ backend: StoreBackend) async throws {
        var settings = StoreSettings()
        settings.eventRetention = 0
        try await StoreHarness.run(backend, settings: settings) { store in
            let owner = StoreHarness.owner()
            for image in [TestImages.building, TestImages.camera, TestImages.building] {
                _ = try await store.put(owner, image, key: UUID().uuidString)
            }
            let all = try await poll(store, "thumbs")
            #expect(all.events.count == 3 && all.prunedThrough == nil)
            _ = try await poll(store, "tags")
            try await store.call(
                StoreContract.commitEvents, CommitEventsRequest(consumer: "thumbs", sequence: all.events[2].sequence))
            try await store.call(
                StoreContract.commitEvents, CommitEventsRequest(consumer: "tags", sequence: all.events[0].sequence))
            try await Task.sleep(for: .milliseconds(5))
            // "tags" holds the log back: only the first event goes.
            #expect(try await store.service.pruneEvents() == 1)
            #expect(try await poll(store, "tags").events.map(\.sequence) == all.events[1...].map(\.sequence))
            // A consumer registered now starts from the oldest kept event and hears how far the log went.
            let late = try await poll(store, "late")
            #expect(late.events.map(\.sequence) == all.events[1...].map(\.sequence))
            #expect(late.prunedThrough == all.events[0].sequence)
            #expect(late.committed == all.events[0].sequence)
            // Once everyone is through, the rest goes; the log is empty but keeps counting.
            for consumer in ["tags", "late"] {
                try await store.call(
                    StoreContract.commitEvents,
                    CommitEventsRequest(consumer: consumer, sequence: all.events[2].sequence))
            }
            #expect(try await store.service.pruneEvents() == 2)
            #expect(try await poll(store, "thumbs").events.isEmpty)
            let next = try await store.put(owner, TestImages.camera, key: "next")
            let after = try await poll(store, "thumbs")
            #expect(after.events.map(\.imageId) == [next.id] && after.events[0].sequence > all.events[2].sequence)
            #expect(after.prunedThrough == nil)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func eventsYoungerThanTheRetentionStay(_ backend: StoreBackend) async throws {
        try await StoreHarness.run(backend) { store in
            let owner = StoreHarness.owner()
            _ = try await store.put(owner, TestImages.building)
            let batch = try await poll(store, "thumbs")
            try await store.call(
                StoreContract.commitEvents, CommitEventsRequest(consumer: "thumbs", sequence: batch.events[0].sequence))
            // Seven days by default: a fresh event stays even though its only consumer is past it.
            #expect(try await store.service.pruneEvents() == 0)
            #expect(try await poll(store, "another").events.count == 1)
        }
    }
}
