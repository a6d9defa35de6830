import ImageOperations
import Wire

/// ProcessSvc's methods: synchronous processing, thumbnails and the dehaze jobs. Ids 300–399.
public enum ProcessContract {
    public static let process = Method<ProcessRequest, ProcessResult>(
        id: 300, name: "process.process", callers: .gateway)
    public static let thumbnail = Method<ImageRequest, DerivativeContent>(
        id: 301, name: "process.thumbnail", callers: .gateway)
    public static let createJob = Method<CreateJobRequest, JobRecord>(
        id: 302, name: "process.createJob", callers: .gateway)
    public static let listJobs = Method<ListJobsRequest, JobPage>(id: 303, name: "process.listJobs", callers: .gateway)
    public static let getJob = Method<JobRequest, JobRecord>(id: 304, name: "process.getJob", callers: .gateway)
    public static let deleteJob = Method<JobRequest, Empty>(id: 305, name: "process.deleteJob", callers: .gateway)
    public static let clearJobs = Method<OwnerRequest, DeletedCount>(
        id: 306, name: "process.clearJobs", callers: .gateway)
    /// Every job of the owner, finished or not (for account deletion).
    public static let deleteOwner = Method<OwnerRequest, DeletedCount>(
        id: 307, name: "process.deleteOwner", callers: .gateway)
}

/// An image (stored, by id, or uploaded bytes) and the operations to run on it.
public struct ProcessRequest: Codable, Sendable, Hashable {
    public var owner: String
    public var imageId: String?
    public var upload: [UInt8]?
    /// The upload's file name, for a saved result.
    public var filename: String?
    /// The operations to run, in order (field 11; field 5 carried them as JSON text up to contract version 1
    /// and is never reused).
    public var operations: [ImageOperation]
    /// `jpeg` or `png`; nil keeps the input's format.
    public var format: String?
    /// JPEG quality 1…100; default 90.
    public var quality: Int?
    /// Store the result as a new image of the owner's instead of returning its bytes only.
    public var save: Bool
    public var key: String?
    public var visibility: Visibility?

    public init(
        owner: String, imageId: String? = nil, upload: [UInt8]? = nil, filename: String? = nil,
        operations: [ImageOperation],
        format: String? = nil, quality: Int? = nil, save: Bool = false, key: String? = nil,
        visibility: Visibility? = nil
    ) {
        (self.owner, self.imageId, self.upload, self.filename, self.operations) =
            (owner, imageId, upload, filename, operations)
        (self.format, self.quality, self.save, self.key, self.visibility) = (format, quality, save, key, visibility)
    }

    enum CodingKeys: Int, CodingKey {
        case owner = 1, imageId = 2, upload = 3, filename = 4, format = 6, quality = 7, save = 8, key = 9
        case visibility = 10, operations = 11
    }
}

public struct ProcessResult: Codable, Sendable, Hashable {
    public var contentType: String
    public var width: Int
    public var height: Int
    /// The result's bytes; empty when it was saved (see `image`).
    public var bytes: [UInt8]
    /// The saved image, when `save` was asked for.
    public var image: ImageRecord?

    public init(contentType: String, width: Int, height: Int, bytes: [UInt8], image: ImageRecord? = nil) {
        (self.contentType, self.width, self.height, self.bytes, self.image) = (contentType, width, height, bytes, image)
    }

    enum CodingKeys: Int, CodingKey { case contentType = 1, width, height, bytes, image }
}

/// Where a job is in its life.
public enum JobStatus: String, Codable, Sendable, CaseIterable {
    case pending, running, completed, error
}

public struct CreateJobRequest: Codable, Sendable, Hashable {
    public var owner: String
    /// The stored image to run on.
    public var imageId: String
    /// The operations to run; nil means a dehaze with the default parameters (field 4; field 3 carried
    /// them as JSON text up to contract version 1 and is never reused).
    public var operations: [ImageOperation]?

    public init(owner: String, imageId: String, operations: [ImageOperation]? = nil) {
        (self.owner, self.imageId, self.operations) = (owner, imageId, operations)
    }

    enum CodingKeys: Int, CodingKey { case owner = 1, imageId = 2, operations = 4 }
}

/// One job, as the API's Job (web/openapi.yaml) plus its attempts and timings.
public struct JobRecord: Codable, Sendable, Hashable {
    public var id: String
    public var owner: String
    public var status: JobStatus
    public var imageId: String
    public var originalFilename: String
    /// The operations the job runs (field 14; field 6 carried them as JSON text up to contract version 1
    /// and is never reused).
    public var operations: [ImageOperation]
    /// Milliseconds since 1970.
    public var createdAt: Int64
    public var startedAt: Int64?
    public var finishedAt: Int64?
    public var resultImageId: String?
    /// Why the job failed, for `error`.
    public var error: String?
    /// How many times a worker took the job up.
    public var attempts: Int
    /// Milliseconds per stage of the last run (`fetch`, `decode`, `process`, `encode`, `store`).
    public var timings: [String: Double]

    public init(
        id: String, owner: String, status: JobStatus, imageId: String, originalFilename: String,
        operations: [ImageOperation],
        createdAt: Int64, startedAt: Int64? = nil, finishedAt: Int64? = nil, resultImageId: String? = nil,
        error: String? = nil, attempts: Int = 0, timings: [String: Double] = [:]
    ) {
        (self.id, self.owner, self.status, self.imageId, self.originalFilename) =
            (id, owner, status, imageId, originalFilename)
        (self.operations, self.createdAt, self.startedAt, self.finishedAt) =
            (operations, createdAt, startedAt, finishedAt)
        (self.resultImageId, self.error, self.attempts, self.timings) = (resultImageId, error, attempts, timings)
    }

    enum CodingKeys: Int, CodingKey {
        case id = 1, owner = 2, status = 3, imageId = 4, originalFilename = 5, createdAt = 7, startedAt = 8
        case finishedAt = 9, resultImageId = 10, error = 11, attempts = 12, timings = 13, operations = 14
    }
}

public struct JobRequest: Codable, Sendable, Hashable {
    public var owner: String
    public var id: String

    public init(owner: String, id: String) { (self.owner, self.id) = (owner, id) }

    enum CodingKeys: Int, CodingKey { case owner = 1, id }
}

public struct ListJobsRequest: Codable, Sendable, Hashable {
    public var owner: String
    public var page: PageRequest

    public init(owner: String, page: PageRequest = PageRequest()) { (self.owner, self.page) = (owner, page) }

    enum CodingKeys: Int, CodingKey { case owner = 1, page }
}

/// Jobs newest first.
public struct JobPage: Codable, Sendable, Hashable {
    public var items: [JobRecord]
    public var nextCursor: String?

    public init(items: [JobRecord], nextCursor: String?) { (self.items, self.nextCursor) = (items, nextCursor) }

    enum CodingKeys: Int, CodingKey { case items = 1, nextCursor }
}
