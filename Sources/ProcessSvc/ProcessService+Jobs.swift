import Contracts
import Foundation
import GRDB
import ImageOperations
import Primitives
import Wire

extension ProcessService {
    /// What a job runs when its request names no operations.
    static let defaultOperations: [ImageOperation] = [.dehaze(DehazeParameters())]

    /// A new `pending` job on one of the owner's stored images.
    func createJob(_ request: CreateJobRequest) async throws -> JobRecord {
        let operations = request.operations ?? Self.defaultOperations
        _ = try Self.pipeline(operations)
        let image = try await store(StoreContract.getImage, ImageRequest(owner: request.owner, id: request.imageId))
        guard image.owner == request.owner else { throw WireError(.notFound, "No image \(request.imageId)") }
        let row = JobRow(
            id: "job_" + Crypto.hex(Crypto.randomBytes(10)), owner: request.owner, status: JobStatus.pending.rawValue,
            imageId: image.id, originalFilename: image.filename, operationList: try JobRow.encoded(operations),
            createdAt: nowMillis(),
            attempts: 0,
            timings: "{}")
        let quota = settings.maxQueuedJobsPerOwner
        let inserted: JobRecord? = try await jobs.database.write { db in
            let queued = try JobRow.filter(
                Column("owner") == request.owner
                    && [JobStatus.pending.rawValue, JobStatus.running.rawValue].contains(Column("status"))
            ).fetchCount(db)
            guard queued < quota else { return nil }
            var inserted = row
            try inserted.insert(db)
            return inserted.record
        }
        guard let inserted else {
            // A job takes seconds; by then a slot is likely free.
            throw WireError(
                .tooManyRequests, "At most \(quota) jobs may wait or run at once; retry after 10 seconds")
        }
        await announceJobChanged(owner: request.owner, id: inserted.id)
        return inserted
    }

    func job(_ request: JobRequest) async throws -> JobRecord {
        try await ownedJob(request).record
    }

    func ownedJob(_ request: JobRequest) async throws -> JobRow {
        let row = try await jobs.database.read { db in
            try JobRow.filter(Column("id") == request.id && Column("owner") == request.owner).fetchOne(db)
        }
        guard let row else { throw WireError(.notFound, "No job \(request.id)") }
        return row
    }

    /// The owner's jobs, newest first.
    func listJobs(_ request: ListJobsRequest) async throws -> JobPage {
        let page = request.page
        let after = try PageCursor.position(of: page, maximum: settings.maxPageSize)
        let rows = try await jobs.database.read { db in
            try JobRow.filter(Column("owner") == request.owner && Column("position") < after)
                .order(Column("position").desc).limit(page.limit + 1).fetchAll(db)
        }
        let (items, next) = PageCursor.split(rows, limit: page.limit, position: \.position)
        return JobPage(items: items.map(\.record), nextCursor: next)
    }

    /// Forgets one job. Its input and result images stay in the owner's gallery.
    func deleteJob(_ request: JobRequest) async throws {
        let row = try await ownedJob(request)
        try await jobs.database.write { db in _ = try JobRow.deleteOne(db, key: ["position": row.position]) }
    }

    /// Forgets every finished job of the owner (pending and running ones stay), or every job at all
    /// when the account goes (`includeUnfinished`).
    func clearJobs(owner: String, includeUnfinished: Bool = false) async throws -> DeletedCount {
        let count = try await jobs.database.write { db in
            var request = JobRow.filter(Column("owner") == owner)
            if !includeUnfinished {
                request = request.filter(
                    [JobStatus.completed.rawValue, JobStatus.error.rawValue].contains(Column("status")))
            }
            let deleted = try request.deleteAll(db)
            if includeUnfinished { try db.execute(sql: "DELETE FROM ownerTurn WHERE owner = ?", arguments: [owner]) }
            return deleted
        }
        return DeletedCount(count: count)
    }
}
