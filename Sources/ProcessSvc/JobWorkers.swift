import Contracts
import Foundation
import GRDB
import Imaging
import Logging
import ServiceLifecycle
import Wire

/// The workers that run pending jobs: `settings.workers` loops, each claiming the next pending job with
/// owners taking turns (`claim`).
/// On start, jobs left `running` by a worker that died go back to `pending`, or to `error` once they
/// have used every attempt.
struct JobWorkers: Service {
    let service: ProcessService

    func run() async throws {
        try await recover()
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                for _ in 0..<max(1, service.settings.workers) {
                    group.addTask { await work() }
                }
            }
        }
    }

    func recover() async throws {
        let settings = service.settings
        let time = service.nowMillis()
        try await service.jobs.database.write { db in
            try db.execute(
                sql: """
                    UPDATE job SET status = 'error', finishedAt = ?, \
                    error = 'The job stopped its worker ' || attempts || ' times; it is not tried again'
                    WHERE status = 'running' AND attempts >= ?
                    """, arguments: [time, settings.maxAttempts])
            try db.execute(sql: "UPDATE job SET status = 'pending' WHERE status = 'running'")
        }
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

    /// Marks the next pending job `running` and counts the attempt. Owners take turns (M12): among the
    /// owners with pending jobs, the one with the fewest jobs running goes first, then the one whose last
    /// claim is oldest (a newcomer before everyone), and it gets its oldest pending job. So a user with
    /// a thousand queued jobs delays another user's job by at most one job per worker.
    func claim() async throws -> JobRow? {
        let time = service.nowMillis()
        return try await service.jobs.database.write { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT p.owner, p.first FROM
                            (SELECT owner, MIN(position) AS first FROM job WHERE status = 'pending' GROUP BY owner) p
                        LEFT JOIN ownerTurn t ON t.owner = p.owner
                        ORDER BY (SELECT COUNT(*) FROM job r WHERE r.status = 'running' AND r.owner = p.owner),
                            COALESCE(t.turn, 0), p.first
                        LIMIT 1
                        """),
                var job = try JobRow.fetchOne(db, key: ["position": row["first"] as Int64])
            else { return nil }
            job.status = JobStatus.running.rawValue
            job.attempts += 1
            job.startedAt = time
            job.error = nil
            try job.update(db)
            try db.execute(
                sql: """
                    INSERT INTO ownerTurn (owner, turn) VALUES (?, (SELECT COALESCE(MAX(turn), 0) + 1 FROM ownerTurn))
                    ON CONFLICT (owner) DO UPDATE SET turn = excluded.turn
                    """, arguments: [job.owner])
            return job
        }
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
            try requeue(job, attemptUsed: false)
            throw CancellationError()
        } catch let error as WireError where error.isTransient {
            if job.attempts < service.settings.maxAttempts {
                try requeue(job, attemptUsed: true)
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
        let time = service.nowMillis()
        let encoded = String(decoding: try JSONEncoder().encode(timings), as: UTF8.self)
        let updated = try await service.jobs.database.write { db in
            try JobRow.filter(Column("id") == job.id && Column("status") == JobStatus.running.rawValue)
                .updateAll(
                    db, Column("status").set(to: status.rawValue), Column("finishedAt").set(to: time),
                    Column("resultImageId").set(to: result), Column("error").set(to: error),
                    Column("timings").set(to: encoded))
        }
        if updated == 0, let result {
            // The job was deleted while it ran: its result has no one to show it.
            _ = try? await service.store(StoreContract.deleteImage, ImageRequest(owner: job.owner, id: result))
        }
        await service.announceJobChanged(owner: job.owner, id: job.id)
    }

    /// Puts a running job back to `pending`. The write is synchronous because it must also happen in a
    /// task being cancelled, where GRDB's async writes throw `CancellationError` before they start.
    private func requeue(_ job: JobRow, attemptUsed: Bool) throws {
        try service.jobs.database.write { db in
            try db.execute(
                sql: "UPDATE job SET status = 'pending', attempts = attempts - ? WHERE id = ? AND status = 'running'",
                arguments: [attemptUsed ? 0 : 1, job.id])
        }
    }
}
