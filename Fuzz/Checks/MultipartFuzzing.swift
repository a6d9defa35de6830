import NIOCore

// In the gateway's tests the reader comes from the gateway; in the fuzzer it is compiled in.
#if canImport(Gateway)
    @testable import Gateway
#endif

/// What the multipart fuzzer checks on every input, and `make test` on its corpus. The first byte gives
/// the boundary's length (1…70), the next bytes the boundary, the rest the body, fed in chunks whose
/// sizes the body's own bytes choose. The reader must take it or refuse it (MultipartReader.Failure),
/// within its limit, and a file it returns lies within the body.
enum MultipartFuzzing {
    static let limit = 1 << 16

    static func check(_ bytes: [UInt8]) {
        guard let first = bytes.first else { return }
        let length = Int(first % 70) + 1
        guard bytes.count > length else { return }
        let boundary = String(decoding: bytes[1...length], as: UTF8.self)
        let body = Array(bytes[(length + 1)...])
        let reader = MultipartReader(boundary: boundary, limit: limit)
        var offset = 0
        do {
            while offset < body.count {
                let size = max(1, Int(body[offset] % 61))
                let end = min(body.count, offset + size)
                try reader.feed(ByteBuffer(bytes: body[offset..<end]))
                offset = end
            }
            try reader.finish()
        } catch {
            return
        }
        precondition((reader.file?.count ?? 0) <= body.count, "a file larger than the body")
        precondition(reader.fields.values.allSatisfy { $0.utf8.count <= body.count * 3 }, "a field larger than the body")
    }
}
