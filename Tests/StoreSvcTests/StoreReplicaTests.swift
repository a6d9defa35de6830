import Contracts
import Foundation
import GRDB
import Logging
import Primitives
import ServiceRuntime
import TestImages
import TestServers
import Testing
import Wire
import WireTesting

@testable import StoreSvc

/// What replicas share: a consumer's replicas split the event log between them and take over from one that
/// stops; StoreSvc replicas on one PostgreSQL schema and one blob folder keep rows and blobs in step and
/// make their events visible in order.
@Suite struct StoreReplicaTests {
    func poll(_ store: StoreHarness, _ holder: String) async throws -> EventBatch {
        try await store.call(
            StoreContract.pollEvents, PollEventsRequest(consumer: "detect", limit: 1000, waitMillis: 0, holder: holder))
    }

    /// Two StoreSvc replicas on one new schema and one blob folder: `body` gets both, the first's store
    /// and the folder.
    func withTwoReplicas(
        _ body: (StoreService, StoreService, any ImageStore, String) async throws -> Void
    ) async throws {
        try await withServiceHost(.store) { host in
            let folder = host.configuration.stateDirectory
            let schema = PostgresTestServer.schema("store")
            try await withImageStore(.postgres, folder: folder, schema: schema) { firstStore in
                try await withImageStore(.postgres, folder: folder, schema: schema) { secondStore in
                    let one = try await StoreService.open(
                        folder: folder, store: firstStore, settings: StoreSettings(), logger: host.logger)
                    let two = try await StoreService.open(
                        folder: folder, store: secondStore, settings: StoreSettings(), logger: host.logger)
                    try await body(one, two, firstStore, folder)
                }
            }
        }
    }

    /// Follows the owner's events through `replica` as a gateway's stream does (after the last seen), until
    /// cancelled: the sequences it saw.
    func follow(_ owner: String, on replica: StoreService) -> Task<[Int64], any Error> {
        Task {
            var seen: [Int64] = []
            while !Task.isCancelled {
                do {
                    let batch = try await replica.readEvents(
                        ReadEventsRequest(owner: owner, after: seen.last ?? 0, limit: 1000, waitMillis: 200))
                    seen += batch.events.map(\.sequence)
                } catch is CancellationError {
                    break
                }
            }
            return seen
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func aConsumersReplicasShareTheLogAndTakeOverFromOneThatStops(_ backend: StoreBackend) async throws {
        var settings = StoreSettings()
        settings.consumerLease = 1_000
        try await StoreHarness.run(backend, settings: settings) { store in
            let owner = StoreHarness.owner()
            var created: [String] = []
            for index in 0..<40 {
                created.append(try await store.put(owner, TestImages.building, key: "k\(index)").id)
            }
            // Alone, a replica holds every partition.
            #expect(try await poll(store, "a").events.map(\.imageId) == created)
            // A second replica is counted at once but gets its share only as the first hands it back.
            #expect(try await poll(store, "b").events.isEmpty)
            let first = try await poll(store, "a").events.map(\.imageId)
            let second = try await poll(store, "b").events.map(\.imageId)
            #expect(!first.isEmpty && !second.isEmpty)
            #expect(Set(first).isDisjoint(with: second) && Set(first + second) == Set(created))
            // Polling again without committing hands out the same events (at least once).
            #expect(try await poll(store, "a").events.map(\.imageId) == first)
            // b handles its share; a commits nothing and stops. Once a's lease runs out, b takes a's
            // partitions from their cursors: a's events are delivered again, b's are not.
            let last = try await poll(store, "b").events.last!.sequence
            try await store.call(
                StoreContract.commitEvents, CommitEventsRequest(consumer: "detect", sequence: last, holder: "b"))
            #expect(try await poll(store, "b").events.isEmpty)
            try await Task.sleep(for: .milliseconds(1_100))
            let takenOver = try await poll(store, "b").events.map(\.imageId)
            #expect(takenOver == created.filter { first.contains($0) })
            // a comes back: its commit moves nothing now (b holds everything), and b's cursors are intact.
            try await store.call(
                StoreContract.commitEvents,
                CommitEventsRequest(consumer: "detect", sequence: try await store.service.latestSequence(), holder: "a")
            )
            #expect(try await poll(store, "b").events.map(\.imageId) == takenOver)
            let bad = await wireCode {
                _ = try await store.call(
                    StoreContract.pollEvents, PollEventsRequest(consumer: "detect", waitMillis: 0, holder: ""))
            }
            #expect(bad == .invalidArgument)
        }
    }

    /// Two StoreSvc replicas on one schema and one blob folder: one deletes an image while the other stores
    /// the same bytes again, round after round; whichever commits first, the new row keeps its blob, and
    /// a reader following the owner's events while both append never misses one.
    @Test func replicasOnOneDatabaseKeepBlobsAndEventsInStep() async throws {
        try await withTwoReplicas { one, two, firstStore, folder in
            let owner = StoreHarness.owner()
            let reader = follow(owner, on: two)
            for round in 0..<25 {
                let old = try await one.putImage(
                    PutImageRequest(owner: owner, key: "old-\(round)", filename: "a.jpg", bytes: TestImages.building))
                async let deleted: Void = one.deleteImage(ImageRequest(owner: owner, id: old.id))
                async let uploaded = two.putImage(
                    PutImageRequest(owner: owner, key: "new-\(round)", filename: "a.jpg", bytes: TestImages.building))
                let (_, new) = try await (deleted, uploaded)
                let content = try await one.content(ContentRequest(image: ImageRequest(owner: owner, id: new.id)))
                #expect(Crypto.hex(Crypto.sha256(content.bytes)) == new.sha256, "round \(round)")
                async let gone: Void = two.deleteImage(ImageRequest(owner: owner, id: new.id))
                async let another = one.putImage(
                    PutImageRequest(owner: owner, key: "more-\(round)", filename: "b.jpg", bytes: TestImages.camera))
                _ = try await (gone, another)
            }
            try await Task.sleep(for: .milliseconds(500))
            reader.cancel()
            let seen = try await reader.value
            let all = try await firstStore.events(owner: owner, after: 0, limit: 1000).map(\.sequence)
            #expect(all.count == 25 * 5)
            #expect(seen == all)
            let rows = try await firstStore.blobsInUse().filter { $0.hasPrefix("\(owner)/") }
            let files = (FileManager.default.enumerator(atPath: "\(folder)/blobs")?.allObjects as? [String] ?? [])
                .filter { $0.hasPrefix("\(owner)/") && $0.split(separator: "/").count == 3 }
            #expect(
                Set(rows.map { String($0.split(separator: "/")[1]) })
                    == Set(files.map { String($0.split(separator: "/")[2]) }))
        }
    }

    /// Events that two replicas append at once (job changes take no owner lock) become visible in sequence
    /// order, so a reader asking for "after N" never skips one that committed late.
    @Test func eventsAppendedByTwoReplicasBecomeVisibleInOrder() async throws {
        try await withTwoReplicas { one, two, firstStore, _ in
            let owner = StoreHarness.owner()
            let reader = follow(owner, on: two)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<16 {
                    group.addTask {
                        for index in 0..<15 {
                            try await (worker % 2 == 0 ? one : two).recordJobChanged(
                                JobChangedRequest(owner: owner, jobId: "job_\(worker)_\(index)"))
                        }
                    }
                }
                try await group.waitForAll()
            }
            try await Task.sleep(for: .milliseconds(500))
            reader.cancel()
            let seen = try await reader.value
            let all = try await firstStore.events(owner: owner, after: 0, limit: 1000).map(\.sequence)
            #expect(all.count == 16 * 15)
            let missed = all.filter { !Set(seen).contains($0) }
            #expect(missed.isEmpty, "the reader skipped \(missed.count) events, first \(missed.prefix(5))")
            #expect(seen == all)
        }
    }

    /// A file from before partitions (v5) keeps each consumer's cursor on every partition, and its events
    /// land in the partitions of their images.
    @Test func aFileFromBeforePartitionsKeepsItsCursors() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = "\(folder)/images.sqlite"
        let old = try DatabaseQueue(path: path)
        try SQLiteImageStore.migrator.migrate(old, upTo: "v5-event-pruning")
        try await old.write { db in
            for (index, subject) in ["img_a", "img_b", "img_c"].enumerated() {
                try db.execute(
                    sql: """
                        INSERT INTO event (kind, imageId, owner, visibility, createdAt) VALUES ('image.created', ?, 'o', 'private', ?)
                        """, arguments: [subject, index])
            }
            try db.execute(sql: "INSERT INTO consumer (name, cursor) VALUES ('tag.detect', 1)")
        }
        try old.close()
        let store = try SQLiteImageStore(path: path)
        let claim = try await store.claim(consumer: "tag.detect", holder: "h", now: 0, lease: 1_000)
        #expect(!claim.registered && claim.partitions == Array(0..<EventPartitions.count) && claim.committed == 1)
        let events = try await store.events(consumer: "tag.detect", holder: "h", limit: 10)
        #expect(events.map(\.imageId) == ["img_b", "img_c"])
        #expect(events.map(\.part) == [EventPartitions.of("img_b"), EventPartitions.of("img_c")])
    }
}
