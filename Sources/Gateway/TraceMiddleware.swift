import HTTPTypes
import Hummingbird
import Primitives
import Wire

/// One trace per HTTP request (W3C Trace Context): an incoming valid `traceparent` keeps its trace id,
/// anything else starts a new one; the gateway's own span id goes out in the answer's `traceparent` and,
/// through `WireContext.current`, in every Wire call the request makes, so each service's log lines for
/// it carry the same trace.
struct TraceMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let parent = TraceParent(request.headers[.traceparent] ?? "")
        let own = TraceParent(traceId: parent?.traceId ?? Crypto.hex(Crypto.randomBytes(16)), sampled: parent?.sampled)
        var context = context
        context.logger[metadataKey: "trace"] = "\(own.traceId)"
        let wire = WireContext(trace: own.header, logger: context.logger)
        do {
            var response = try await WireContext.$current.withValue(wire) { try await next(request, context) }
            response.headers[.traceparent] = own.header
            return response
        } catch let error as APIError {
            var error = error
            error.headers[.traceparent] = own.header
            throw error
        }
    }
}

/// `00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`; ids of all zeros are invalid.
struct TraceParent: Equatable {
    var traceId: String
    var spanId: String
    var sampled: Bool

    init(traceId: String, sampled: Bool?) {
        self.traceId = traceId
        spanId = Crypto.hex(Crypto.randomBytes(8))
        self.sampled = sampled ?? false
    }

    init?(_ header: String) {
        let parts = header.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "00", Self.isHex(parts[1], 32), Self.isHex(parts[2], 16),
            Self.isHex(parts[3], 2), let flags = UInt8(parts[3], radix: 16)
        else { return nil }
        (traceId, spanId, sampled) = (String(parts[1]), String(parts[2]), flags & 1 == 1)
    }

    var header: String { "00-\(traceId)-\(spanId)-\(sampled ? "01" : "00")" }

    private static func isHex(_ text: Substring, _ count: Int) -> Bool {
        text.utf8.count == count && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
            && text.utf8.contains { $0 != 48 }
    }
}

extension HTTPField.Name {
    static let traceparent = Self("traceparent")!
}
