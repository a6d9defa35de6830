import Contracts
import Foundation
import Hummingbird
import NIOCore
import Wire

/// An uploaded file and the form fields sent with it: from `multipart/form-data` (field `file`) or from a
/// raw body with an image content type (fields from the query string). The body is read as it streams in
/// and refused with 413 as soon as it passes the limit.
struct Upload: Sendable {
    var bytes: [UInt8]?
    var filename: String?
    var fields: [String: String]

    /// Whether the request carries an upload (rather than a JSON body).
    static func isUpload(_ request: Request) -> Bool {
        let type = request.headers[.contentType]?.lowercased() ?? ""
        return !type.hasPrefix("application/json")
    }

    static func read(_ request: Request, limit: Int) async throws -> Upload {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw tooLarge(limit)
        }
        let type = request.headers[.contentType] ?? ""
        let lowered = type.lowercased()
        if lowered.hasPrefix("multipart/form-data") {
            guard let boundary = parameter("boundary", in: type) else {
                throw APIError(.badRequest, "InvalidParameter", "multipart/form-data needs a boundary")
            }
            return try await readMultipart(request, boundary: boundary, limit: limit)
        }
        guard lowered.hasPrefix("image/") || lowered.hasPrefix("application/octet-stream") else {
            throw APIError(
                .unsupportedMediaType, "UnsupportedMediaType",
                "Send multipart/form-data with a 'file' field, or the image itself as image/jpeg or image/png")
        }
        var bytes: [UInt8] = []
        // One allocation of the announced size (already checked against the limit) instead of doubling.
        if let length = request.headers[.contentLength].flatMap(Int.init), length > 0 { bytes.reserveCapacity(length) }
        for try await chunk in request.body {
            guard bytes.count + chunk.readableBytes <= limit else { throw tooLarge(limit) }
            bytes += chunk.readableBytesView
        }
        var fields: [String: String] = [:]
        for (name, value) in request.uri.queryParameters { fields[String(name)] = String(value) }
        return Upload(bytes: bytes, filename: fields["filename"], fields: fields)
    }

    private static func readMultipart(_ request: Request, boundary: String, limit: Int) async throws -> Upload {
        let reader = MultipartReader(boundary: boundary, limit: limit)
        do {
            for try await chunk in request.body { try reader.feed(chunk) }
            try reader.finish()
        } catch let failure as MultipartReader.Failure {
            switch failure {
            case .tooLarge: throw tooLarge(limit)
            case .malformed: throw APIError(.badRequest, "InvalidParameter", "The multipart body is malformed")
            case .noCompletePart:
                throw APIError(.badRequest, "InvalidParameter", "The multipart body has no complete part")
            }
        }
        return Upload(bytes: reader.file, filename: reader.filename, fields: reader.fields)
    }

    /// The value of `name=value`, `name="value"` or `name*=UTF-8''value` in a header such as
    /// Content-Type or Content-Disposition.
    static func parameter(_ name: String, in header: String) -> String? {
        HeaderParameters(header)[name]
    }

    static func tooLarge(_ limit: Int) -> APIError {
        APIError(.contentTooLarge, "PayloadTooLarge", "The upload is larger than \(limit / (1024 * 1024)) MiB")
    }

    /// The file, or 400 when the request has none.
    func file() throws -> [UInt8] {
        guard let bytes else { throw APIError(.badRequest, "InvalidParameter", "The upload has no 'file' field") }
        return bytes
    }

    func visibility() throws -> Visibility {
        guard let text = fields["visibility"] else { return .private }
        guard let visibility = Visibility(rawValue: text) else {
            throw APIError(.badRequest, "InvalidParameter", "visibility must be private or public")
        }
        return visibility
    }

    /// The `key` field; an empty one counts as none (the store then makes one up).
    var key: String? { fields["key"].flatMap { $0.isEmpty ? nil : $0 } }

    func flag(_ name: String) -> Bool { ["true", "1", "yes"].contains(fields[name]?.lowercased() ?? "") }
}
