import NIOCore

#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

/// Reads a `multipart/form-data` body (RFC 7578, RFC 2046 §5.1) as it streams in: the `file` part's
/// bytes and file name, and the other parts as text fields (64 KiB each, 64 of them at most). At most
/// `limit` bytes in all; a part's headers at most 16 KiB.
///
/// Ours, not MultipartKit's: the fuzzer found that MultipartKit 4.7.1 traps on any byte ≥ 0x80 in a
/// part's header name (an out-of-range index into a 128-entry table), which would let one upload end
/// the gateway. Used by uploads and by the multipart fuzzer, so what is fuzzed is what serves.
final class MultipartReader {
    enum Failure: Error, Equatable {
        case tooLarge
        case malformed
        case noCompletePart
    }

    private enum State {
        /// Before the first delimiter; what comes before it is ignored.
        case preamble
        /// Just after a delimiter: `--` ends the body, else optional padding and CRLF start a part.
        case afterDelimiter
        case headers
        case body
        /// After the close delimiter; the rest is ignored.
        case epilogue
    }

    static let maxHeaderBytes = 16 * 1024
    static let maxFieldBytes = 64 * 1024
    static let maxFields = 64

    private let limit: Int
    /// `\r\n--boundary`; the first delimiter may come without the CRLF.
    private let delimiter: [UInt8]
    private let validBoundary: Bool
    private var state = State.preamble
    private var pending: [UInt8] = []
    private var total = 0
    private var headers: [String: String] = [:]
    private var part: [UInt8] = []
    private var partIsFile = false
    private var partName: String?
    private var partFilename: String?
    private(set) var file: [UInt8]?
    private(set) var filename: String?
    private(set) var fields: [String: String] = [:]
    private(set) var finished = false

    init(boundary: String, limit: Int) {
        self.limit = limit
        let bytes = Array(boundary.utf8)
        // RFC 2046: 1…70 characters; CR, LF and NUL could never be matched the same way twice.
        validBoundary = (1...70).contains(bytes.count) && !bytes.contains(where: { $0 == 13 || $0 == 10 || $0 == 0 })
        delimiter = Array("\r\n--".utf8) + bytes
        // The preamble search treats the body as if a CRLF came before it.
        pending = [13, 10]
    }

    func feed(_ chunk: ByteBuffer) throws(Failure) {
        guard validBoundary else { throw .malformed }
        total += chunk.readableBytes
        guard total <= limit else { throw .tooLarge }
        pending += chunk.readableBytesView
        try advance()
    }

    /// Called once the body ended: the close delimiter must have been seen, after at least one part.
    func finish() throws(Failure) {
        guard validBoundary else { throw .malformed }
        guard finished else { throw .noCompletePart }
        guard case .epilogue = state else { throw .malformed }
    }

    private func advance() throws(Failure) {
        while true {
            switch state {
            case .preamble:
                guard let found = Self.find(delimiter, in: pending) else {
                    // Keep only what could be the start of a delimiter.
                    pending.removeFirst(max(0, pending.count - (delimiter.count - 1)))
                    return
                }
                pending.removeFirst(found + delimiter.count)
                state = .afterDelimiter
            case .afterDelimiter:
                guard pending.count >= 2 else { return }
                if pending[0] == UInt8(ascii: "-") && pending[1] == UInt8(ascii: "-") {
                    pending.removeAll()
                    state = .epilogue
                    continue
                }
                // Transport padding (spaces and tabs) may stand before the CRLF.
                var index = 0
                while index < pending.count, pending[index] == 32 || pending[index] == 9 { index += 1 }
                guard index < 200 else { throw .malformed }
                guard pending.count >= index + 2 else { return }
                guard pending[index] == 13, pending[index + 1] == 10 else { throw .malformed }
                pending.removeFirst(index + 2)
                (headers, part, partIsFile, partName, partFilename) = ([:], [], false, nil, nil)
                state = .headers
            case .headers:
                guard pending.count >= 2 else { return }
                if pending[0] == 13, pending[1] == 10 {
                    // No headers at all: the blank line comes first.
                    pending.removeFirst(2)
                    try readHeaders([])
                    state = .body
                    continue
                }
                guard let end = Self.find([13, 10, 13, 10], in: pending) else {
                    guard pending.count <= Self.maxHeaderBytes else { throw .malformed }
                    return
                }
                guard end <= Self.maxHeaderBytes else { throw .malformed }
                try readHeaders(pending[..<end])
                pending.removeFirst(end + 4)
                state = .body
            case .body:
                guard let found = Self.find(delimiter, in: pending) else {
                    let safe = max(0, pending.count - (delimiter.count - 1))
                    try take(pending[..<safe])
                    pending.removeFirst(safe)
                    return
                }
                try take(pending[..<found])
                pending.removeFirst(found + delimiter.count)
                completePart()
                state = .afterDelimiter
            case .epilogue:
                pending.removeAll()
                return
            }
        }
    }

    /// `Name: value` lines; names are header tokens (RFC 9110), anything else is refused.
    private func readHeaders(_ bytes: ArraySlice<UInt8>) throws(Failure) {
        for line in bytes.split(separator: 10, omittingEmptySubsequences: true) {
            var line = line
            if line.last == 13 { line = line.dropLast() }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex else {
                throw .malformed
            }
            let name = line[..<colon]
            guard name.allSatisfy(Self.isTokenByte) else { throw .malformed }
            guard headers.count < 32 else { continue }
            let value = String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingSpaces()
            headers[String(decoding: name, as: UTF8.self).lowercased()] = value
        }
        let disposition = HeaderParameters(headers["content-disposition"] ?? "")
        partName = disposition["name"]
        partIsFile = partName == "file"
        partFilename = disposition["filename"]
    }

    private func take(_ bytes: ArraySlice<UInt8>) throws(Failure) {
        guard !bytes.isEmpty else { return }
        // A field beyond its size is dropped, as before; a file is bounded by the upload limit.
        if !partIsFile, part.count > Self.maxFieldBytes { return }
        part += bytes
    }

    private func completePart() {
        if let partName {
            if partIsFile {
                (file, filename) = (part, partFilename)
            } else if part.count <= Self.maxFieldBytes, fields.count < Self.maxFields {
                fields[partName] = String(decoding: part, as: UTF8.self)
            }
        }
        part = []
        finished = true
    }

    /// `!#$%&'*+-.^_`|~`, digits and letters.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }

    /// The offset of the first `needle` in `haystack`, found with memchr on its first byte.
    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard let first = needle.first, haystack.count >= needle.count else { return nil }
        return haystack.withUnsafeBufferPointer { hay -> Int? in
            needle.withUnsafeBufferPointer { pattern -> Int? in
                guard let base = hay.baseAddress else { return nil }
                var offset = 0
                let last = hay.count - pattern.count
                while offset <= last {
                    guard let hit = memchr(base + offset, Int32(first), last - offset + 1) else { return nil }
                    let index = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                    if memcmp(base + index, pattern.baseAddress!, pattern.count) == 0 { return index }
                    offset = index + 1
                }
                return nil
            }
        }
    }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" { scalars = scalars.dropFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
