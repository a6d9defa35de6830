import Contracts
import Foundation
import Hummingbird
import NIOCore
import Wire

/// Responses that carry image bytes: `ETag` from the content's SHA-256 with `If-None-Match` → 304, and
/// one `Range` per request → 206 (or 416 when it cannot be satisfied).
enum BinaryResponse {
    static func etag(_ sha256: String) -> String { "\"\(sha256)\"" }

    /// Whether the client already has this version.
    static func notModified(_ request: Request, etag: String) -> Bool {
        guard let header = request.headers[.ifNoneMatch] else { return false }
        return header == "*"
            || header.split(separator: ",").contains {
                $0.trimmingCharacters(in: .whitespaces).replacing("W/", with: "") == etag
            }
    }

    static func notModifiedResponse(etag: String, cacheControl: String) -> Response {
        Response(status: .notModified, headers: [.eTag: etag, .cacheControl: cacheControl])
    }

    static func make(
        _ bytes: [UInt8], contentType: String, etag: String, cacheControl: String,
        range: (offset: Int, total: Int)? = nil
    ) -> Response {
        var headers: HTTPFields = [
            .contentType: contentType, .eTag: etag, .cacheControl: cacheControl, .acceptRanges: "bytes",
            .contentLength: String(bytes.count),
        ]
        var status = HTTPResponse.Status.ok
        if let range {
            status = .partialContent
            headers[.contentRange] = "bytes \(range.offset)-\(range.offset + bytes.count - 1)/\(range.total)"
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// The one byte range of a `Range: bytes=…` header within `size` bytes; nil for no header or one this
    /// server answers with the whole content (several ranges, another unit). Throws 416 when unsatisfiable.
    static func range(_ request: Request, size: Int) throws -> Range<Int>? {
        switch ByteRange.parse(request.headers[.range], size: size) {
        case .whole: return nil
        case .part(let range): return range
        case .unsatisfiable:
            throw APIError(
                .rangeNotSatisfiable, "RangeNotSatisfiable", "The requested range is outside the \(size) bytes",
                headers: [.contentRange: "bytes */\(size)"])
        }
    }
}
