import Contracts
import Foundation
import GRDB
import Imaging
import TestImages
import TestServers
import Testing
import Wire
import WireTesting

@testable import ProcessSvc

@Suite struct JobTests {
    @Test(arguments: StoreBackend.allCases)
    func aJobGoesFromPendingToCompletedWithItsResult(_ backend: StoreBackend) async throws {
        try await ProcessHarness.run(backend: backend) { harness in
            let owner = ProcessHarness.owner()
            let image = try await harness.put(owner, TestImages.building, filename: "building.jpg")
            let created = try await harness.process.call(
                ProcessContract.createJob, CreateJobRequest(owner: owner, imageId: image.id))
            #expect(created.status == .pending && created.operations == [.dehaze(DehazeParameters())])
            #expect(created.originalFilename == "building.jpg" && created.attempts == 0)
            try await running([JobWorkers(service: harness.service)]) {
                let job = try await harness.finished(JobRequest(owner: owner, id: created.id))
                #expect(job.status == .completed && job.error == nil && job.attempts == 1)
                #expect(job.startedAt != nil && job.finishedAt != nil)
                #expect(Set(job.timings.keys) == ["fetch", "decode", "process", "encode", "store"])
                let resultId = try #require(job.resultImageId)
                let result = try await harness.store.call(
                    StoreContract.content, ContentRequest(image: .init(owner: owner, id: resultId)))
                #expect(result.image.derivedFrom == image.id && result.image.filename == "building-result.jpg")
                let decoded = try ImageCodec.decode(result.bytes)
                #expect((decoded.width, decoded.height) == (868, 600))
            }
            let list = try await harness.process.call(ProcessContract.listJobs, ListJobsRequest(owner: owner))
            #expect(list.items.map(\.id) == [created.id])
            let cleared = try await harness.process.call(ProcessContract.clearJobs, OwnerRequest(owner: owner))
            #expect(cleared.count == 1)
            #expect(
                try await harness.process.call(ProcessContract.listJobs, ListJobsRequest(owner: owner)).items.isEmpty)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func failingJobsEndInErrorWithTheReason(_ backend: StoreBackend) async throws {
        try await ProcessHarness.run(backend: backend) { harness in
            let owner = ProcessHarness.owner()
            let image = try await harness.put(owner, TestImages.building)
            let outside = try await harness.process.call(
                ProcessContract.createJob,
                CreateJobRequest(
                    owner: owner, imageId: image.id,
                    operations: [.crop(x: 900, y: 0, width: 10, height: 10)]))
            let doomed = try await harness.put(owner, TestImages.camera, filename: "c.png")
            let gone = try await harness.process.call(
                ProcessContract.createJob, CreateJobRequest(owner: owner, imageId: doomed.id))
            try await harness.store.call(StoreContract.deleteImage, ImageRequest(owner: owner, id: doomed.id))
            try await running([JobWorkers(service: harness.service)]) {
                let failed = try await harness.finished(JobRequest(owner: owner, id: outside.id))
                #expect(
                    failed.status == .error && failed.error?.contains("crop") == true && failed.resultImageId == nil)
                let missing = try await harness.finished(JobRequest(owner: owner, id: gone.id))
                #expect(missing.status == .error && missing.error == "The job's image was deleted")
            }
            let bad = await wireCode {
                _ = try await harness.process.call(
                    ProcessContract.createJob,
                    CreateJobRequest(
                        owner: owner, imageId: image.id,
                        operations: [.resize(width: 0, height: nil, fit: .contain, filter: .area)]))
            }
            #expect(bad == .invalidArgument)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func jobsBelongToTheirOwner(_ backend: StoreBackend) async throws {
        try await ProcessHarness.run(backend: backend) { harness in
            let (owner, stranger) = (ProcessHarness.owner(), ProcessHarness.owner())
            let image = try await harness.put(owner, TestImages.building)
            let job = try await harness.process.call(
                ProcessContract.createJob, CreateJobRequest(owner: owner, imageId: image.id))
            let asStranger = JobRequest(owner: stranger, id: job.id)
            #expect(
                await wireCode { _ = try await harness.process.call(ProcessContract.getJob, asStranger) } == .notFound)
            #expect(
                await wireCode { _ = try await harness.process.call(ProcessContract.deleteJob, asStranger) }
                    == .notFound)
            let onTheirImage = await wireCode {
                _ = try await harness.process.call(
                    ProcessContract.createJob, CreateJobRequest(owner: stranger, imageId: image.id))
            }
            #expect(onTheirImage == .notFound)
            #expect(
                try await harness.process.call(ProcessContract.listJobs, ListJobsRequest(owner: stranger)).items.isEmpty
            )
            // Clearing history keeps unfinished jobs; deleting the owner does not.
            #expect(try await harness.process.call(ProcessContract.clearJobs, OwnerRequest(owner: owner)).count == 0)
            #expect(try await harness.process.call(ProcessContract.deleteOwner, OwnerRequest(owner: owner)).count == 1)
            // Its owner deletes one job; it is gone, and only it.
            let first = try await harness.process.call(
                ProcessContract.createJob, CreateJobRequest(owner: owner, imageId: image.id))
            let second = try await harness.process.call(
                ProcessContract.createJob, CreateJobRequest(owner: owner, imageId: image.id))
            try await harness.process.call(ProcessContract.deleteJob, JobRequest(owner: owner, id: first.id))
            let gone = JobRequest(owner: owner, id: first.id)
            #expect(await wireCode { _ = try await harness.process.call(ProcessContract.getJob, gone) } == .notFound)
            let left = try await harness.process.call(ProcessContract.listJobs, ListJobsRequest(owner: owner))
            #expect(left.items.map(\.id) == [second.id])
        }
    }

    /// A worker that died mid-job left it `running`: the next start puts it back and it completes, once.
    @Test func aJobWhoseWorkerDiedIsRetried() async throws {
        try await ProcessHarness.run { harness in
            let owner = ProcessHarness.owner()
            let image = try await harness.put(owner, TestImages.camera, filename: "camera.png")
            let created = try await harness.process.call(
                ProcessContract.createJob, CreateJobRequest(owner: owner, imageId: image.id))
            let workers = JobWorkers(service: harness.service)
            let claimed = try #require(try await workers.claim())
            #expect(claimed.id == created.id && claimed.attempts == 1)
            #expect(
                try await harness.process.call(ProcessContract.getJob, JobRequest(owner: owner, id: created.id)).status
                    == .running)
            try await running([workers]) {
                let job = try await harness.finished(JobRequest(owner: owner, id: created.id))
                #expect(job.status == .completed && job.attempts == 2)
            }
            let images = try await harness.store.call(StoreContract.listImages, ListImagesRequest(owner: owner))
            #expect(images.items.count == 2)
        }
    }

    /// Shutting the workers down mid-job puts the job back without spending one of its attempts.
    @Test(arguments: StoreBackend.allCases)
    func aJobCutOffByShutdownGoesBackUnspent(_ backend: StoreBackend) async throws {
        try await ProcessHarness.run(backend: backend) { harness in
            let owner = ProcessHarness.owner()
            let image = try await harness.put(owner, TestImages.building)
            let created = try await harness.process.call(
                ProcessContract.createJob,
                CreateJobRequest(
                    owner: owner, imageId: image.id,
                    // Seconds of work, so that the shutdown lands while it runs.
                    operations: [
                        .resize(width: 4000, height: 3000, fit: .fill, filter: .area), .dehaze(DehazeParameters()),
                        .dehaze(DehazeParameters()), .dehaze(DehazeParameters()),
                    ]
                ))
            let request = JobRequest(owner: owner, id: created.id)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await JobWorkers(service: harness.service).run() }
                while try await harness.process.call(ProcessContract.getJob, request).status != .running {
                    try await Task.sleep(for: .milliseconds(10))
                }
                group.cancelAll()
                try? await group.waitForAll()
            }
            let job = try await harness.process.call(ProcessContract.getJob, request)
            #expect(job.status == .pending && job.attempts == 0 && job.resultImageId == nil)
        }
    }

    @Test func aJobThatKeepsKillingItsWorkerEndsInError() async throws {
        var settings = ProcessSettings()
        settings.maxAttempts = 2
        try await ProcessHarness.run(settings: settings) { harness in
            let owner = ProcessHarness.owner()
            let image = try await harness.put(owner, TestImages.camera, filename: "camera.png")
            let created = try await harness.process.call(
                ProcessContract.createJob, CreateJobRequest(owner: owner, imageId: image.id))
            let workers = JobWorkers(service: harness.service)
            _ = try await workers.claim()
            try await workers.recover()
            _ = try await workers.claim()
            try await workers.recover()
            let job = try await harness.process.call(ProcessContract.getJob, JobRequest(owner: owner, id: created.id))
            #expect(job.status == .error && job.attempts == 2)
            #expect(job.error == "The job stopped its worker 2 times; it is not tried again")
        }
    }

    @Test func aRetriedJobReplacesItsOwnEarlierResult() async throws {
        try await ProcessHarness.run { harness in
            let owner = ProcessHarness.owner()
            let image = try await harness.put(owner, TestImages.camera, filename: "camera.png")
            let created = try await harness.process.call(
                ProcessContract.createJob,
                CreateJobRequest(owner: owner, imageId: image.id, operations: [.color(.invert)]))
            let workers = JobWorkers(service: harness.service)
            // First run stores its result, then "dies" before marking the job: back to pending, run again.
            try await workers.runJob(try #require(try await workers.claim()))
            try await (harness.service.jobs as! SQLiteJobStore).database.write { db in
                try db.execute(sql: "UPDATE job SET status = 'running' WHERE id = ?", arguments: [created.id])
            }
            try await workers.recover()
            try await workers.runJob(try #require(try await workers.claim()))
            let job = try await harness.process.call(ProcessContract.getJob, JobRequest(owner: owner, id: created.id))
            #expect(job.status == .completed && job.attempts == 2)
            let images = try await harness.store.call(StoreContract.listImages, ListImagesRequest(owner: owner))
            #expect(images.items.count == 2)
        }
    }
    /// Replicas on one store: a replica that claimed a job and died (it never renews) loses it once the
    /// lease runs out, and another replica's workers run it to the end, once.
    @Test(arguments: StoreBackend.allCases)
    func aJobWhoseReplicaDiedIsRunByAnother(_ backend: StoreBackend) async throws {
        var settings = ProcessSettings()
        settings.jobLease = .seconds(1)
        try await ProcessHarness.run(settings: settings, backend: backend) { [settings] harness in
            let owner = ProcessHarness.owner()
            let image = try await harness.put(owner, TestImages.camera, filename: "camera.png")
            let created = try await harness.process.call(
                ProcessContract.createJob, CreateJobRequest(owner: owner, imageId: image.id))
            let dead = ProcessService(
                store: harness.service.storeClient, jobs: harness.service.jobs, settings: settings,
                logger: harness.service.logger)
            #expect(dead.replica != harness.service.replica)
            let claimed = try #require(try await JobWorkers(service: dead).claim())
            #expect(claimed.id == created.id && claimed.leaseHolder == dead.replica)
            try await running([JobWorkers(service: harness.service)]) {
                let job = try await harness.finished(JobRequest(owner: owner, id: created.id))
                #expect(job.status == .completed && job.attempts == 2)
            }
            let images = try await harness.store.call(StoreContract.listImages, ListImagesRequest(owner: owner))
            #expect(images.items.count == 2)
        }
    }
}
