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
        guard let header = request.headers[.range] else { return nil }
        guard header.hasPrefix("bytes="), !header.contains(",") else { return nil }
        let spec = header.dropFirst("bytes=".count).trimmingCharacters(in: .whitespaces)
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        let unsatisfiable = APIError(
            .rangeNotSatisfiable, "RangeNotSatisfiable", "The range '\(header)' is outside the \(size) bytes",
            headers: [.contentRange: "bytes */\(size)"])
        guard parts.count == 2 else { throw unsatisfiable }
        if parts[0].isEmpty {
            guard let suffix = Int(parts[1]), suffix > 0, size > 0 else { throw unsatisfiable }
            return max(0, size - suffix)..<size
        }
        guard let start = Int(parts[0]), start >= 0, start < size else { throw unsatisfiable }
        if parts[1].isEmpty { return start..<size }
        guard let end = Int(parts[1]), end >= start else { throw unsatisfiable }
        return start..<min(end + 1, size)
    }
}
