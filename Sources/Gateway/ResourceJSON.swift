import Contracts
import Foundation
import Hummingbird
import ImageOperations
import Wire

/// The API's Image as clients see it (web/openapi.yaml).
struct ImageJSON: ResponseEncodable {
    struct Tag: Codable, Sendable {
        var tag: String
        var count: Int
        var confidence: Double?
        var source: String
    }

    var id: String
    var key: String
    var filename: String
    var contentType: String
    var width: Int
    var height: Int
    var size: Int
    var sha256: String
    var visibility: Visibility
    var createdAt: String
    var derivedFrom: String?
    var url: String
    var thumbnailUrl: String
    var tags: [Tag]
    var tagging: String
    /// Why detection failed, when `tagging` is `error`.
    var taggingError: String?

    /// `tags` nil: TagSvc has not answered for the image, so it counts as pending. With a signer, `url`
    /// and `thumbnailUrl` are signed for `caller`, so a browser can load them without a token.
    init(_ image: ImageRecord, tags: ImageTags? = nil, signer: URLSigner? = nil, caller: String? = nil) {
        (id, key, filename, contentType, width, height, size, sha256) = (
            image.id, image.key, image.filename, image.contentType, image.width, image.height, image.size, image.sha256
        )
        (visibility, createdAt, derivedFrom) = (image.visibility, Timestamp.text(image.createdAt), image.derivedFrom)
        (url, thumbnailUrl) = (ImageURLs.content(image.id), ImageURLs.thumbnail(image.id))
        if let signer, let caller {
            let now = Int64(Date().timeIntervalSince1970)
            (url, thumbnailUrl) = (
                signer.sign(url, for: caller, now: now), signer.sign(thumbnailUrl, for: caller, now: now)
            )
        }
        self.tags = (tags?.tags ?? []).map {
            Tag(tag: $0.tag, count: $0.count, confidence: $0.confidence, source: $0.source.rawValue)
        }
        tagging = (tags?.tagging ?? .pending).rawValue
        taggingError = tags?.error
    }
}

/// The API's Job as clients see it (web/openapi.yaml).
struct JobJSON: ResponseEncodable {
    var id: String
    var status: JobStatus
    var imageId: String
    var originalFilename: String
    var ops: [ImageOperation]
    var createdAt: String
    var startedAt: String?
    var finishedAt: String?
    var resultImageId: String?
    var resultUrl: String?
    /// The input's and the result's thumbnails, signed for the owner when the gateway has a signer.
    var thumbnailUrl: String?
    var resultThumbnailUrl: String?
    var error: String?
    var attempts: Int
    /// Milliseconds per stage.
    var timings: [String: Double]

    init(_ job: JobRecord, signer: URLSigner? = nil) {
        (id, status, imageId, originalFilename) = (job.id, job.status, job.imageId, job.originalFilename)
        ops = job.operations
        createdAt = Timestamp.text(job.createdAt)
        (startedAt, finishedAt) = (job.startedAt.map(Timestamp.text), job.finishedAt.map(Timestamp.text))
        (resultImageId, error, attempts, timings) = (job.resultImageId, job.error, job.attempts, job.timings)
        resultUrl = job.status == .completed ? "/v1/jobs/\(job.id)/result" : nil
        if let signer {
            let now = Int64(Date().timeIntervalSince1970)
            thumbnailUrl = signer.sign(ImageURLs.thumbnail(job.imageId), for: job.owner, now: now)
            if job.status == .completed, let result = job.resultImageId {
                resultThumbnailUrl = signer.sign(ImageURLs.thumbnail(result), for: job.owner, now: now)
            }
        }
    }
}

/// `{"items":[…],"nextCursor":…}`.
struct ListJSON<Item: Encodable & Sendable>: ResponseEncodable {
    var items: [Item]
    var nextCursor: String?

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(items, forKey: .items)
        // Present as null on the last page, so clients can test it.
        try container.encode(nextCursor, forKey: .nextCursor)
    }

    enum CodingKeys: String, CodingKey { case items, nextCursor }
}

/// Times as clients read them: ISO 8601 in UTC.
enum Timestamp {
    static func text(_ milliseconds: Int64) -> String {
        Date(timeIntervalSince1970: Double(milliseconds) / 1000).formatted(.iso8601)
    }
}

/// The `limit` and `cursor` query parameters of a list.
extension PageRequest {
    init(query request: Request) throws {
        let parameters = request.uri.queryParameters
        var limit = 50
        if let text = parameters.get("limit") {
            guard let value = Int(text), (1...200).contains(value) else {
                throw APIError(.badRequest, "InvalidParameter", "limit must be a number 1…200")
            }
            limit = value
        }
        self.init(limit: limit, cursor: parameters.get("cursor"))
    }
}
