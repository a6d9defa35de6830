import MultipartKit
import NIOCore

/// Reads a `multipart/form-data` body as it streams in: the `file` part's bytes and file name, and the
/// other parts as text fields (64 KiB each at most). At most `limit` bytes in all. Used by uploads and
/// by the multipart fuzzer, so that what is fuzzed is what serves.
final class MultipartReader {
    enum Failure: Error, Equatable {
        case tooLarge
        case malformed
        case noCompletePart
    }

    private let parser: MultipartParser
    private let limit: Int
    private var total = 0
    private var headers: [String: String] = [:]
    private var body: [UInt8] = []
    private(set) var file: [UInt8]?
    private(set) var filename: String?
    private(set) var fields: [String: String] = [:]
    private(set) var finished = false

    init(boundary: String, limit: Int) {
        parser = MultipartParser(boundary: boundary)
        self.limit = limit
        parser.onHeader = { [unowned self] name, value in
            // Header lines beyond a sane count are ignored rather than kept.
            if headers.count < 32 { headers[name.lowercased()] = value }
        }
        parser.onBody = { [unowned self] chunk in body += chunk.readableBytesView }
        parser.onPartComplete = { [unowned self] in
            let disposition = HeaderParameters(headers["content-disposition"] ?? "")
            if let name = disposition["name"] {
                if name == "file" {
                    (file, filename) = (body, disposition["filename"])
                } else if body.count <= 64 * 1024, fields.count < 64 {
                    fields[name] = String(decoding: body, as: UTF8.self)
                }
            }
            (headers, body, finished) = ([:], [], true)
        }
    }

    func feed(_ chunk: ByteBuffer) throws(Failure) {
        total += chunk.readableBytes
        guard total <= limit else { throw .tooLarge }
        do {
            try parser.execute(chunk)
        } catch {
            throw .malformed
        }
    }

    /// Called once the body ended: at least one part must have been complete.
    func finish() throws(Failure) {
        guard finished else { throw .noCompletePart }
    }
}
