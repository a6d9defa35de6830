import Foundation
import Hummingbird

/// The gateway's JSON answers, gzipped when the client accepts it and the body is large enough to gain
/// (a gallery page of 60 images is 50 KiB of JSON and 8 KiB gzipped: most of a first screen's bytes).
struct CompressingJSONEncoder: ResponseEncoder {
    /// Smaller bodies go out as they are: the header and the work would cost more than they save.
    static let threshold = 1024

    func encode(_ value: some Encodable, from request: Request, context: some RequestContext) throws -> Response {
        let data = try JSONEncoder().encode(value)
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if data.count >= Self.threshold {
            headers[.vary] = "Accept-Encoding"
            if Gzip.accepted(by: request), let gzipped = Gzip.compress(Array(data), level: 5),
                gzipped.count < data.count
            {
                headers[.contentEncoding] = "gzip"
                headers[.contentLength] = String(gzipped.count)
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: gzipped)))
            }
        }
        headers[.contentLength] = String(data.count)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(data: data)))
    }
}
