import Logging
import NIOCore

/// What a handler knows about the request it serves.
public struct WireContext: Sendable {
    /// When the caller stops waiting; nil when it gave no deadline.
    public var deadline: ContinuousClock.Instant?
    /// The caller's trace metadata (a W3C traceparent or a request id).
    public var trace: String
    public var logger: Logger
}

/// Handlers by method id, fixed before the server starts.
public struct WireRouter: Sendable {
    typealias Handler = @Sendable (ByteBuffer, WireContext, WireLimits) async throws -> EncodedMessage
    private(set) var handlers: [UInt32: (name: String, run: Handler)] = [:]

    public init() {}

    /// Registers the handler for `method`; a second registration for the same id replaces the first.
    public mutating func register<Request, Response>(
        _ method: Method<Request, Response>,
        _ handler: @escaping @Sendable (Request, WireContext) async throws -> Response
    ) {
        handlers[method.id] = (
            method.name,
            { body, context, limits in
                let request: Request
                do {
                    request = try body.withUnsafeReadableBytes {
                        try WireDecoder(limits: limits).decode(Request.self, from: $0)
                    }
                } catch {
                    throw WireError(.invalidArgument, "Request for \(method.name) does not decode: \(error)")
                }
                return try WireEncoder().encodeMessage(try await handler(request, context))
            }
        )
    }
}

extension WireRouter {
    /// Whether a handler is registered for `method`'s id.
    public func handles<Request, Response>(_ method: Method<Request, Response>) -> Bool {
        handlers[method.id] != nil
    }
}
