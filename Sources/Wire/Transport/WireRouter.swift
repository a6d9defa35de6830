import Logging
import NIOCore
import Tracing

/// What a handler knows about the request it serves.
public struct WireContext: Sendable {
    /// When the caller stops waiting; nil when it gave no deadline.
    public var deadline: ContinuousClock.Instant?
    /// The caller's trace metadata (a W3C traceparent or a request id).
    public var trace: String
    public var logger: Logger
    /// Who called: the identity of the caller's certificate over TLS.
    public var peer: WirePeer

    public init(
        deadline: ContinuousClock.Instant? = nil, trace: String = "", logger: Logger, peer: WirePeer = .clusterSecret
    ) {
        (self.deadline, self.trace, self.logger, self.peer) = (deadline, trace, logger, peer)
    }

    /// What log lines show of a trace: a W3C `traceparent`'s trace id (`00-<id>-<span>-<flags>`), or the
    /// text as it came.
    public static func traceId(_ trace: String) -> Substring {
        let parts = trace.split(separator: "-", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[1].utf8.count == 32 ? parts[1] : Substring(trace)
    }

    /// Runs `work` in the current trace but without the request's deadline: for work shared by callers
    /// with different deadlines (the first one's must not cut the others short).
    public static func withoutDeadline<T>(_ work: () async throws -> T) async rethrows -> T {
        guard var context = ServiceContext.current, context.wireDeadline != nil else { return try await work() }
        context.wireDeadline = nil
        return try await ServiceContext.$current.withValue(context) { try await work() }
    }
}

/// Handlers by method id, fixed before the server starts.
public struct WireRouter: Sendable {
    typealias Handler = @Sendable (ByteBuffer, WireContext, WireLimits) async throws -> EncodedMessage
    typealias EventLoopHandler = @Sendable (ByteBuffer, WireContext, WireLimits) throws -> EncodedMessage

    /// One registered method.
    struct Route: Sendable {
        var name: String
        /// Who may call it.
        var callers: WireCallers
        /// Runs the handler in a task; every route has one.
        var run: Handler
        /// The same handler, for running on the connection's event loop; only for `registerOnEventLoop`.
        var onEventLoop: EventLoopHandler?
    }

    private(set) var handlers: [UInt32: Route] = [:]

    /// Requests up to this size run an event-loop handler in place; bigger ones go to a task, so that
    /// decoding them never holds up the loop's other connections.
    static let eventLoopRequestLimit = 64 << 10

    public init() {}

    /// Registers the handler for `method`; a second registration for the same id replaces the first.
    public mutating func register<Request, Response>(
        _ method: Method<Request, Response>,
        _ handler: @escaping @Sendable (Request, WireContext) async throws -> Response
    ) {
        handlers[method.id] = Route(
            name: method.name, callers: method.callers,
            run: { body, context, limits in
                let request = try Self.decodeRequest(method, body, limits)
                return try WireEncoder().encodeMessage(try await handler(request, context))
            })
    }

    /// Registers a synchronous handler that runs on the connection's event loop as soon as the request is
    /// read: no task is created and no thread hand-off happens, which roughly halves a small call's latency.
    /// Only for handlers that finish in microseconds and never block (no I/O, no waiting on locks): while one
    /// runs, nothing else on that event loop moves. Requests over 64 KiB, and any that arrive while the
    /// connection is still in its handshake or draining, run the same handler in a task instead.
    public mutating func registerOnEventLoop<Request, Response>(
        _ method: Method<Request, Response>,
        _ handler: @escaping @Sendable (Request, WireContext) throws -> Response
    ) {
        let inPlace: EventLoopHandler = { body, context, limits in
            let request = try Self.decodeRequest(method, body, limits)
            return try WireEncoder().encodeMessage(try handler(request, context))
        }
        handlers[method.id] = Route(
            name: method.name, callers: method.callers,
            run: { body, context, limits in try inPlace(body, context, limits) },
            onEventLoop: inPlace)
    }

    private static func decodeRequest<Request, Response>(
        _ method: Method<Request, Response>, _ body: ByteBuffer, _ limits: WireLimits
    ) throws -> Request {
        do {
            return try body.withUnsafeReadableBytes { try WireDecoder(limits: limits).decode(Request.self, from: $0) }
        } catch {
            throw WireError(.invalidArgument, "Request for \(method.name) does not decode: \(error)")
        }
    }
}

extension WireRouter {
    /// Whether a handler is registered for `method`'s id.
    public func handles<Request, Response>(_ method: Method<Request, Response>) -> Bool {
        handlers[method.id] != nil
    }
}
