import Contracts
import Foundation
import Imaging
import Logging
import ServiceLifecycle
import Wire

/// The workers that run pending jobs: `settings.workers` loops, each claiming the next pending job with
/// owners taking turns (`JobStore.claim`) under a lease in this replica's name, and one loop that renews
/// this replica's leases every third of `settings.jobLease` and reclaims the jobs of replicas whose
/// leases ran out (they died). On start, jobs left `running` by a worker that died go back to `pending`
/// (at once on SQLite, once their lease ends on PostgreSQL), or to `error` once they have used every attempt.
struct JobWorkers: Service {
    let service: ProcessService

    func run() async throws {
        try await recover()
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                for _ in 0..<max(1, service.settings.workers) {
                    group.addTask { await work() }
                }
                group.addTask { await keepLeases() }
            }
        }
    }

    func recover() async throws {
        try await service.jobs.recoverAtStart(now: service.nowMillis(), maxAttempts: service.settings.maxAttempts)
    }

    private func work() async {
        while !Task.isCancelled {
            do {
                if let job = try await claim() {
                    await service.announceJobChanged(owner: job.owner, id: job.id)
                    try await runJob(job)
                } else {
                    try await Task.sleep(for: service.settings.idlePoll)
                }
            } catch {
                if Task.isCancelled { return }
                service.logger.error("Job worker failed", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Renews this replica's leases and reclaims expired ones, every third of the lease.
    private func keepLeases() async {
        let lease = service.settings.jobLease
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: lease / 3)
                try await renewAndReclaim()
            } catch {
                if Task.isCancelled { return }
                service.logger.warning("Job leases not renewed", metadata: ["error": "\(error)"])
            }
        }
    }

    func renewAndReclaim() async throws {
        let now = service.nowMillis()
        try await service.jobs.renewLeases(holder: service.replica, until: now + service.settings.jobLeaseMillis)
        let reclaimed = try await service.jobs.reclaimExpired(now: now, maxAttempts: service.settings.maxAttempts)
        if reclaimed > 0 {
            service.logger.notice("Reclaimed jobs whose worker stopped", metadata: ["jobs": "\(reclaimed)"])
        }
    }

    /// Claims the next job for this replica (`JobStore.claim`: owners take turns).
    func claim() async throws -> JobRow? {
        let now = service.nowMillis()
        return try await service.jobs.claim(
            JobLease(holder: service.replica, until: now + service.settings.jobLeaseMillis), now: now)
    }

    /// Runs one claimed job to `completed` or `error`; a store that is down puts it back to `pending`.
    func runJob(_ job: JobRow) async throws {
        var clock = StageClock()
        do {
            let pipeline = try ProcessService.pipeline(job.operations())
            let source = try await service.store(
                StoreContract.content, ContentRequest(image: ImageRequest(owner: job.owner, id: job.imageId)))
            clock.lap("fetch")
            let rendition = try await service.render(source.bytes, pipeline: pipeline, format: nil, quality: 90)
            clock.restart()  // the rendition times its own stages
            let base = (job.originalFilename as NSString).deletingPathExtension
            // A fixed key makes a retry after a crash replace its own earlier result, not add a second one.
            let result = try await service.store(
                StoreContract.putImage,
                PutImageRequest(
                    owner: job.owner, key: "jobs/\(job.id)/result.\(rendition.format.fileExtension)", overwrite: true,
                    filename: "\(base)-result.\(rendition.format.fileExtension)", bytes: rendition.bytes,
                    derivedFrom: job.imageId))
            clock.lap("store")
            let timings = clock.laps.merging(rendition.timings) { $0 + $1 }
            try await finish(job, status: .completed, result: result.id, error: nil, timings: timings)
        } catch  where Task.isCancelled {
            // Shutting down: the job goes back to the queue without spending an attempt.
            try await requeue(job, attemptUsed: false)
            throw CancellationError()
        } catch let error as WireError where error.isTransient {
            if job.attempts < service.settings.maxAttempts {
                try await requeue(job, attemptUsed: true)
                try await Task.sleep(for: .seconds(1))
            } else {
                try await finish(job, status: .error, result: nil, error: error.message, timings: clock.laps)
            }
        } catch let error as WireError {
            let reason = error.code == .notFound ? "The job's image was deleted" : error.message
            try await finish(job, status: .error, result: nil, error: reason, timings: clock.laps)
        }
    }

    private func finish(
        _ job: JobRow, status: JobStatus, result: String?, error: String?, timings: [String: Double]
    ) async throws {
        let outcome = JobOutcome(
            status: status, finishedAt: service.nowMillis(), resultImageId: result, error: error,
            timings: String(decoding: try JSONEncoder().encode(timings), as: UTF8.self))
        switch try await service.jobs.finish(job.id, holder: service.replica, outcome: outcome) {
        case .recorded: break
        case .leaseLost:
            // Another replica took the job over (this one's lease ran out) and records its own outcome; a
            // result stored here went under the job's fixed key, which that run replaces.
            service.logger.warning("A job's lease ran out while it ran", metadata: ["job": "\(job.id)"])
        case .deleted:
            // The job was deleted while it ran: its result has no one to show it.
            if let result {
                _ = try? await service.store(StoreContract.deleteImage, ImageRequest(owner: job.owner, id: result))
            }
        }
        await service.announceJobChanged(owner: job.owner, id: job.id)
    }

    /// Puts a running job back to `pending`. The write runs in a task of its own because it must also
    /// happen in a task being cancelled, where the stores' async writes would stop before they start.
    private func requeue(_ job: JobRow, attemptUsed: Bool) async throws {
        let (jobs, holder) = (service.jobs, service.replica)
        try await Task.detached { try await jobs.requeue(job.id, holder: holder, attemptUsed: attemptUsed) }.value
    }
}
