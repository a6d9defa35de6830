import Contracts
import Foundation
import Primitives
import ServiceRuntime
import TestImages
import TestServers
import Testing
import Wire
import WireTesting

@testable import StoreSvc

@Suite struct EventLogTests {
    @Test(arguments: StoreBackend.allCases)
    func consumersReadFromTheirCommittedCursor(_ backend: StoreBackend) async throws {
        try await StoreHarness.run(backend) { store in
            let owner = StoreHarness.owner()
            let a = try await store.put(owner, TestImages.building)
            let b = try await store.put(owner, TestImages.camera)
            try await store.call(StoreContract.deleteImage, ImageRequest(owner: owner, id: a.id))
            let first = try await store.call(
                StoreContract.pollEvents, PollEventsRequest(consumer: "test", waitMillis: 0))
            #expect(first.events.map(\.kind) == ["image.created", "image.created", "image.deleted"])
            #expect(first.events.map(\.imageId) == [a.id, b.id, a.id])
            #expect(first.events.map(\.sequence) == first.events.map(\.sequence).sorted())
            // Not committed: delivered again (at least once).
            let again = try await store.call(
                StoreContract.pollEvents, PollEventsRequest(consumer: "test", waitMillis: 0))
            #expect(again.events == first.events)
            try await store.call(
                StoreContract.commitEvents, CommitEventsRequest(consumer: "test", sequence: first.events[1].sequence))
            let rest = try await store.call(
                StoreContract.pollEvents, PollEventsRequest(consumer: "test", waitMillis: 0))
            #expect(rest.events.map(\.imageId) == [a.id] && rest.committed == first.events[1].sequence)
            // Another consumer has its own cursor.
            let other = try await store.call(
                StoreContract.pollEvents, PollEventsRequest(consumer: "other", limit: 1, waitMillis: 0))
            #expect(other.events.count == 1 && other.events[0].imageId == a.id)
            let pastTheEnd = await wireCode {
                try await store.call(StoreContract.commitEvents, CommitEventsRequest(consumer: "test", sequence: 1_000))
            }
            #expect(pastTheEnd == .outOfRange)
            // A cursor never moves back.
            try await store.call(StoreContract.commitEvents, CommitEventsRequest(consumer: "test", sequence: 1))
            let unchanged = try await store.call(
                StoreContract.pollEvents, PollEventsRequest(consumer: "test", waitMillis: 0))
            #expect(unchanged.committed == first.events[1].sequence)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func aPollWaitsForTheNextEvent(_ backend: StoreBackend) async throws {
        try await StoreHarness.run(backend) { store in
            let owner = StoreHarness.owner()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    let batch = try await store.call(
                        StoreContract.pollEvents, PollEventsRequest(consumer: "waiter", waitMillis: 20_000))
                    #expect(batch.events.count == 1 && batch.events[0].kind == "image.created")
                }
                try await Task.sleep(for: .milliseconds(200))
                _ = try await store.put(owner, TestImages.camera)
                try await group.waitForAll()
            }
            let empty = try await store.call(
                StoreContract.pollEvents, PollEventsRequest(consumer: "late", waitMillis: 0))
            #expect(empty.events.count == 1)
            let bad = await wireCode {
                _ = try await store.call(StoreContract.pollEvents, PollEventsRequest(consumer: "", waitMillis: 0))
            }
            #expect(bad == .invalidArgument)
        }
    }

    /// A crash between staging and recording leaves a temporary file, or a renamed blob without a row;
    /// the next start removes both and keeps every recorded image. With a shared store, another replica may
    /// be about to commit the row of such a blob: only what is older than an hour goes.
    @Test(arguments: StoreBackend.allCases)
    func aRestartRemovesWhatACrashLeftHalfDone(_ backend: StoreBackend) async throws {
        try await withServiceHost(.store) { host in
            let folder = host.configuration.stateDirectory
            let schema = PostgresTestServer.schema("store")
            func open(_ body: (StoreService) async throws -> Void) async throws {
                try await withImageStore(backend, folder: folder, schema: schema) { store in
                    try await body(
                        try await StoreService.open(
                            folder: folder, store: store, settings: StoreSettings(), logger: host.logger))
                }
            }
            let owner = StoreHarness.owner()
            let orphanSHA = Crypto.hex(Crypto.sha256(TestImages.camera))
            try await open { first in
                let kept = try await first.putImage(
                    PutImageRequest(owner: owner, filename: "a.jpg", bytes: TestImages.building))
                let staged = try first.blobs.stage(TestImages.camera)
                try first.blobs.publish(
                    staged: try first.blobs.stage(TestImages.camera), owner: owner, sha256: orphanSHA)
                let orphan = first.blobs.path(owner: owner, sha256: orphanSHA)
                #expect(FileManager.default.fileExists(atPath: staged))

                func restartKeepsTheImage(_ expectLeft: Bool) async throws {
                    try await open { second in
                        #expect(FileManager.default.fileExists(atPath: staged) == expectLeft)
                        #expect(FileManager.default.fileExists(atPath: orphan) == expectLeft)
                        let content = try await second.content(ContentRequest(image: .init(owner: owner, id: kept.id)))
                        #expect(content.bytes == TestImages.building)
                        let page = try await second.list(owner: owner, page: PageRequest())
                        #expect(page.items.map(\.id) == [kept.id])
                    }
                }
                switch backend {
                case .sqlite:
                    try await restartKeepsTheImage(false)
                case .postgres:
                    try await restartKeepsTheImage(true)
                    let old = Date().addingTimeInterval(-2 * StoreService.sharedOrphanAge)
                    for path in [staged, orphan] {
                        try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: path)
                    }
                    try await restartKeepsTheImage(false)
                }
            }
        }
    }
}
