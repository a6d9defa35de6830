import Foundation
import HummingbirdTesting
import Testing

/// The REST API's JSON as a client reads it, written from the document (`web/openapi.yaml`) and not from
/// the gateway's own types: a renamed, retyped or missing field fails the journeys that decode it.
enum API {
    struct Image: Decodable, Sendable {
        var id: String
        var key: String
        var filename: String
        var contentType: String
        var width: Int
        var height: Int
        var size: Int
        var sha256: String
        var visibility: String
        var createdAt: String
        var derivedFrom: String?
        var url: String
        var thumbnailUrl: String
        var tags: [ImageTag]
        var tagging: String
        var taggingError: String?

        /// `tag×count` for each tag, in order.
        var tagCounts: [String] { tags.map { "\($0.tag)×\($0.count)" } }
    }

    struct ImageTag: Decodable, Sendable, Equatable {
        var tag: String
        var count: Int
        var confidence: Double?
        var source: String
    }

    /// A tag and how many, as a query or a subscription names it.
    struct Tag: Decodable, Sendable, Equatable {
        var tag: String
        var count: Int?
    }

    struct TagCount: Decodable, Sendable {
        var tag: String
        var images: Int
    }

    struct Similar: Decodable, Sendable {
        var tags: [Tag]
        var items: [Image]
        var nextCursor: String?
    }

    struct User: Decodable, Sendable {
        var sub: String
        var username: String
        var email: String
        var emailVerified: Bool
    }

    struct Page<Item: Decodable & Sendable>: Decodable, Sendable {
        var items: [Item]
        var nextCursor: String?
    }

    struct Job: Decodable, Sendable {
        var id: String
        var status: String
        var imageId: String
        var originalFilename: String
        var ops: [Operation]
        var createdAt: String
        var startedAt: String?
        var finishedAt: String?
        var resultImageId: String?
        var resultUrl: String?
        var thumbnailUrl: String?
        var resultThumbnailUrl: String?
        var error: String?
        var attempts: Int
        var timings: [String: Double]

        /// Only the name: each operation's parameters are ImageOperations' business.
        struct Operation: Decodable, Sendable { var op: String }
    }

    struct Subscription: Decodable, Sendable {
        var id: String
        /// `tag` or `tag:count`, as subscribed.
        var tags: [String]
        var channel: String
        var target: String
        var status: String
        var createdAt: String
        var secret: String?
        var deliveries: Deliveries
        struct Deliveries: Decodable, Sendable { var delivered, pending, dropped: Int }
    }

    struct ShareLink: Decodable, Sendable {
        var url: String
        var thumbnailUrl: String
        var expiresAt: String
    }

    struct Recognition: Decodable, Sendable {
        var width: Int
        var height: Int
        var model: String
        var detections: [Detection]
        struct Detection: Decodable, Sendable {
            var label: String
            var confidence: Double
            var box: Box
        }
        struct Box: Decodable, Sendable { var x, y, width, height: Double }
    }

    struct Count: Decodable, Sendable { var count: Int }
}

extension ClusterHarness {
    /// The response's JSON as `type`; a body that does not decode records what it was.
    func decode<T: Decodable>(_ type: T.Type, _ response: TestResponse) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(buffer: response.body))
        } catch {
            Issue.record("\(T.self) does not decode from \(String(buffer: response.body)): \(error)")
            throw error
        }
    }
}
