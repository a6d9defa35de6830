import CZlib
import Hummingbird

/// gzip (RFC 1952) of a whole buffer, for assets compressed once at start.
enum Gzip {
    /// Whether the request's `Accept-Encoding` names gzip (or `*`) without refusing it with `q=0`.
    static func accepted(by request: Request) -> Bool {
        request.headers[values: .acceptEncoding].contains { value in
            value.lowercased().split(separator: ",").contains { part in
                let fields = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
                guard fields.first == "gzip" || fields.first == "*" else { return false }
                let weight = fields.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) }
                return weight.map { $0 > 0 } ?? true
            }
        }
    }

    static func compress(_ input: [UInt8], level: Int32 = 9) -> [UInt8]? {
        var stream = z_stream()
        guard clearsky_deflate_init_gzip(&stream, level) == Z_OK else { return nil }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))) + 32)
        let result = input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target -> Int32 in
                stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
                stream.avail_in = uInt(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = uInt(target.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard result == Z_STREAM_END else { return nil }
        return Array(output.prefix(Int(stream.total_out)))
    }
}
