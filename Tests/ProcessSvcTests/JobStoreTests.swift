import Contracts
import Foundation
import Logging
import PostgresSupport
import TestServers
import Testing
import Wire

@testable import ProcessSvc

/// What every `JobStore` does, on SQLite and on PostgreSQL alike: the quota, paging, turns, leases that
/// run out and are reclaimed, outcomes that only the lease's holder records, and claims from many
/// replicas at once that never hand one job to two of them.
@Suite struct JobStoreTests {
    /// A store on `backend`: SQLite in `folder` (a temporary one by default), or PostgreSQL in a new schema.
    static func withStore(
        _ backend: StoreBackend, folder: String? = nil, _ body: @Sendable (any JobStore) async throws -> Void
    ) async throws {
        switch backend {
        case .sqlite:
            if let folder { return try await body(try SQLiteJobStore(folder: folder)) }
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("jobs-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            try await body(try SQLiteJobStore(folder: folder.path))
        case .postgres:
            let store = try await PostgresJobStore.open(
                try DatabaseURL(try PostgresTestServer.url()), schema: PostgresTestServer.schema("process"),
                logger: Logger(label: "test"))
            try await store.database.closing { try await body(store) }
        }
    }

    static func job(_ owner: String, _ id: String = "job_" + UUID().uuidString.prefix(8).lowercased()) -> JobRow {
        JobRow(
            id: id, owner: owner, status: JobStatus.pending.rawValue, imageId: "img_1", originalFilename: "a.jpg",
            operationList: try! JobRow.encoded([.color(.invert)]), createdAt: 1, attempts: 0, timings: "{}")
    }

    static func outcome(_ status: JobStatus = .completed, at time: Int64 = 5) -> JobOutcome {
        JobOutcome(status: status, finishedAt: time, resultImageId: nil, error: nil, timings: "{}")
    }

    @Test(arguments: StoreBackend.allCases)
    func aQuotaPagesAndClearing(_ backend: StoreBackend) async throws {
        try await Self.withStore(backend) { store in
            var ids: [String] = []
            for index in 0..<3 {
                let inserted = try #require(try await store.insert(Self.job("alice", "job_a\(index)"), quota: 3))
                #expect(inserted.position != nil && inserted.owner == "alice" && inserted.status == "pending")
                #expect(try inserted.operations() == [.color(.invert)])
                ids.append(inserted.id)
            }
            #expect(try await store.insert(Self.job("alice"), quota: 3) == nil)
            #expect(try await store.insert(Self.job("bob", "job_b0"), quota: 3) != nil)
            // Newest first, a page at a time.
            let first = try await store.jobs(owner: "alice", before: .max, limit: 2)
            #expect(first.map(\.id) == ["job_a2", "job_a1"])
            let rest = try await store.jobs(owner: "alice", before: try #require(first.last?.position), limit: 2)
            #expect(rest.map(\.id) == ["job_a0"])
            #expect(try await store.job(id: "job_a1", owner: "alice")?.id == "job_a1")
            #expect(try await store.job(id: "job_a1", owner: "bob") == nil)
            #expect(try await store.delete(id: "job_a1", owner: "bob") == false)
            #expect(try await store.delete(id: "job_a1", owner: "alice"))
            // A finished job stays until cleared; clearing keeps unfinished ones unless told.
            let claimed = try #require(try await store.claim(JobLease(holder: "r1", until: 100), now: 1))
            #expect(try await store.finish(claimed.id, holder: "r1", outcome: Self.outcome()) == .recorded)
            let cleared = try await store.clear(owner: claimed.owner, includeUnfinished: false)
            #expect(cleared == 1)
            #expect(
                try await store.clear(owner: "alice", includeUnfinished: true) == (claimed.owner == "alice" ? 1 : 2))
            #expect(try await store.jobs(owner: "alice", before: .max, limit: 10).isEmpty)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func ownersTakeTurns(_ backend: StoreBackend) async throws {
        try await Self.withStore(backend) { store in
            for _ in 0..<6 { _ = try await store.insert(Self.job("alice"), quota: 100) }
            for _ in 0..<2 { _ = try await store.insert(Self.job("bob"), quota: 100) }
            var order: [String] = []
            while let job = try await store.claim(JobLease(holder: "r1", until: 1_000), now: 1) {
                order.append(job.owner == "alice" ? "A" : "B")
                #expect(job.status == "running" && job.attempts == 1 && job.leaseHolder == "r1")
                #expect(try await store.finish(job.id, holder: "r1", outcome: Self.outcome()) == .recorded)
            }
            #expect(order == ["A", "B", "A", "B", "A", "A", "A", "A"])
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func anExpiredLeaseIsReclaimedAndOnlyItsNewHolderRecords(_ backend: StoreBackend) async throws {
        try await Self.withStore(backend) { store in
            let job = try #require(try await store.insert(Self.job("alice"), quota: 10))
            let first = try #require(try await store.claim(JobLease(holder: "dead", until: 1_000), now: 10))
            #expect(first.id == job.id)
            // Renewed in time, it stays; once the renewals stop, it goes back to the queue.
            try await store.renewLeases(holder: "dead", until: 3_000)
            #expect(try await store.reclaimExpired(now: 2_000, maxAttempts: 3) == 0)
            #expect(try await store.claim(JobLease(holder: "other", until: 9_000), now: 2_000) == nil)
            #expect(try await store.reclaimExpired(now: 3_001, maxAttempts: 3) == 1)
            let second = try #require(try await store.claim(JobLease(holder: "alive", until: 9_000), now: 3_002))
            #expect(second.id == job.id && second.attempts == 2 && second.leaseHolder == "alive")
            // The first holder comes back too late: what it would record is refused, and it cannot requeue.
            #expect(try await store.finish(job.id, holder: "dead", outcome: Self.outcome(.error)) == .leaseLost)
            try await store.requeue(job.id, holder: "dead", attemptUsed: false)
            #expect(try await store.job(id: job.id, owner: "alice")?.status == "running")
            #expect(try await store.finish(job.id, holder: "alive", outcome: Self.outcome()) == .recorded)
            let done = try #require(try await store.job(id: job.id, owner: "alice"))
            #expect(done.status == "completed" && done.attempts == 2 && done.leaseHolder == nil)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func aJobThatKeepsLosingItsWorkerEndsInError(_ backend: StoreBackend) async throws {
        try await Self.withStore(backend) { store in
            let job = try #require(try await store.insert(Self.job("alice"), quota: 10))
            for attempt in 1...2 {
                let claimed = try #require(try await store.claim(JobLease(holder: "r\(attempt)", until: 100), now: 1))
                #expect(claimed.attempts == attempt)
                #expect(try await store.reclaimExpired(now: 200, maxAttempts: 2) == 1)
            }
            let ended = try #require(try await store.job(id: job.id, owner: "alice"))
            #expect(ended.status == "error" && ended.finishedAt == 200)
            #expect(ended.error == "The job stopped its worker 2 times; it is not tried again")
            #expect(try await store.claim(JobLease(holder: "r3", until: 900), now: 300) == nil)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func requeueGivesTheAttemptBackAndADeletedJobSaysSo(_ backend: StoreBackend) async throws {
        try await Self.withStore(backend) { store in
            let job = try #require(try await store.insert(Self.job("alice"), quota: 10))
            _ = try #require(try await store.claim(JobLease(holder: "r1", until: 100), now: 1))
            try await store.requeue(job.id, holder: "r1", attemptUsed: false)
            let back = try #require(try await store.job(id: job.id, owner: "alice"))
            #expect(back.status == "pending" && back.attempts == 0 && back.leaseHolder == nil)
            _ = try #require(try await store.claim(JobLease(holder: "r1", until: 100), now: 1))
            try await store.requeue(job.id, holder: "r1", attemptUsed: true)
            #expect(try await store.job(id: job.id, owner: "alice")?.attempts == 1)
            _ = try #require(try await store.claim(JobLease(holder: "r1", until: 100), now: 1))
            #expect(try await store.delete(id: job.id, owner: "alice"))
            #expect(try await store.finish(job.id, holder: "r1", outcome: Self.outcome()) == .deleted)
        }
    }

    /// Eight replicas claim at once from one queue: every job is taken exactly once.
    @Test(arguments: StoreBackend.allCases)
    func replicasClaimingAtOnceNeverShareAJob(_ backend: StoreBackend) async throws {
        try await Self.withStore(backend) { store in
            for index in 0..<60 { _ = try await store.insert(Self.job("owner\(index % 5)"), quota: 100) }
            let claims = try await withThrowingTaskGroup(of: [String].self) { group in
                for replica in 0..<8 {
                    group.addTask {
                        var mine: [String] = []
                        while let job = try await store.claim(JobLease(holder: "r\(replica)", until: 10_000), now: 1) {
                            #expect(job.leaseHolder == "r\(replica)")
                            mine.append(job.id)
                        }
                        return mine
                    }
                }
                var all: [String] = []
                for try await mine in group { all += mine }
                return all
            }
            #expect(claims.count == 60 && Set(claims).count == 60)
        }
    }
}
