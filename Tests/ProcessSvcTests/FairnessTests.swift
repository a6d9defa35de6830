import Contracts
import Foundation
import TestImages
import Testing
import Wire
import WireTesting

@testable import ProcessSvc

/// M12: one user's queue cannot starve another's, and is bounded.
@Suite struct FairnessTests {
    @Test func ownersTakeTurnsInsteadOfFirstComeFirstServed() async throws {
        try await ProcessHarness.run { harness in
            let (alice, bob) = (ProcessHarness.owner(), ProcessHarness.owner())
            let aliceImage = try await harness.put(alice, TestImages.camera, filename: "a.png")
            let bobImage = try await harness.put(bob, TestImages.camera, filename: "b.png")
            for _ in 0..<6 {
                _ = try await harness.process.call(
                    ProcessContract.createJob, CreateJobRequest(owner: alice, imageId: aliceImage.id))
            }
            for _ in 0..<2 {
                _ = try await harness.process.call(
                    ProcessContract.createJob, CreateJobRequest(owner: bob, imageId: bobImage.id))
            }
            // One worker, finishing each job before it claims the next.
            let workers = JobWorkers(service: harness.service)
            var order: [String] = []
            while let job = try await workers.claim() {
                order.append(job.owner == alice ? "A" : "B")
                _ = try await harness.service.jobs.finish(
                    job.id, holder: harness.service.replica,
                    outcome: JobOutcome(status: .completed, finishedAt: 1, timings: "{}"))
            }
            #expect(order == ["A", "B", "A", "B", "A", "A", "A", "A"])
        }
    }

    @Test func anOwnerWithJobsRunningWaitsForOneWithNone() async throws {
        try await ProcessHarness.run { harness in
            let (alice, bob) = (ProcessHarness.owner(), ProcessHarness.owner())
            let aliceImage = try await harness.put(alice, TestImages.camera, filename: "a.png")
            let bobImage = try await harness.put(bob, TestImages.camera, filename: "b.png")
            for _ in 0..<4 {
                _ = try await harness.process.call(
                    ProcessContract.createJob, CreateJobRequest(owner: alice, imageId: aliceImage.id))
            }
            let workers = JobWorkers(service: harness.service)
            // Two workers busy with Alice's jobs; Bob's job, queued later, is the next one taken.
            let first = try #require(try await workers.claim())
            let second = try #require(try await workers.claim())
            #expect(first.owner == alice && second.owner == alice)
            let bobs = try await harness.process.call(
                ProcessContract.createJob, CreateJobRequest(owner: bob, imageId: bobImage.id))
            #expect(try await workers.claim()?.id == bobs.id)
        }
    }

    @Test func queuedJobsPerOwnerAreBounded() async throws {
        var settings = ProcessSettings()
        settings.maxQueuedJobsPerOwner = 3
        try await ProcessHarness.run(settings: settings) { harness in
            let (alice, bob) = (ProcessHarness.owner(), ProcessHarness.owner())
            let image = try await harness.put(alice, TestImages.camera, filename: "a.png")
            let request = CreateJobRequest(owner: alice, imageId: image.id)
            for _ in 0..<3 { _ = try await harness.process.call(ProcessContract.createJob, request) }
            do {
                _ = try await harness.process.call(ProcessContract.createJob, request)
                Issue.record("a fourth queued job was accepted")
            } catch let error as WireError {
                #expect(error.code == .tooManyRequests && error.retryAfterSeconds == 10)
            }
            // Others are not affected, and a finished job frees a slot.
            let bobImage = try await harness.put(bob, TestImages.camera, filename: "b.png")
            _ = try await harness.process.call(
                ProcessContract.createJob, CreateJobRequest(owner: bob, imageId: bobImage.id))
            let workers = JobWorkers(service: harness.service)
            try await workers.runJob(try #require(try await workers.claim()))
            _ = try await harness.process.call(ProcessContract.createJob, request)
        }
    }
}
