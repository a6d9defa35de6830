import Contracts
import Foundation
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
        let inserted = try await jobs.insert(row, quota: quota)?.record
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
        guard let row = try await jobs.job(id: request.id, owner: request.owner) else {
            throw WireError(.notFound, "No job \(request.id)")
        }
        return row
    }

    /// The owner's jobs, newest first.
    func listJobs(_ request: ListJobsRequest) async throws -> JobPage {
        let page = request.page
        let after = try PageCursor.position(of: page, maximum: settings.maxPageSize)
        let rows = try await jobs.jobs(owner: request.owner, before: after, limit: page.limit + 1)
        let (items, next) = PageCursor.split(rows, limit: page.limit, position: \.position)
        return JobPage(items: items.map(\.record), nextCursor: next)
    }

    /// Forgets one job. Its input and result images stay in the owner's gallery.
    func deleteJob(_ request: JobRequest) async throws {
        guard try await jobs.delete(id: request.id, owner: request.owner) else {
            throw WireError(.notFound, "No job \(request.id)")
        }
    }

    /// Forgets every finished job of the owner (pending and running ones stay), or every job at all
    /// when the account goes (`includeUnfinished`).
    func clearJobs(owner: String, includeUnfinished: Bool = false) async throws -> DeletedCount {
        DeletedCount(count: try await jobs.clear(owner: owner, includeUnfinished: includeUnfinished))
    }
}
