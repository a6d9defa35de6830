import Hummingbird
import NIOCore

/// The gateway's request context: the client's address (for throttling in AuthSvc) and a body limit
/// suited to JSON requests.
struct GatewayContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The peer's IP address, or "unknown".
    let clientAddress: String

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        clientAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    /// JSON bodies are small; 64 KiB leaves room for every account request with 10 KB fields.
    var maxUploadSize: Int { 64 * 1024 }

    /// JSON answers, gzipped for clients that accept it.
    var responseEncoder: CompressingJSONEncoder { CompressingJSONEncoder() }
}
