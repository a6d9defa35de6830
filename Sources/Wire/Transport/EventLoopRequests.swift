import Logging
import NIOCore
import Synchronization

/// A REQUEST frame's header: method, deadline and trace, read the same way on both serving paths.
struct RequestHeader {
    var methodID: UInt32
    var deadline: ContinuousClock.Instant?
    var trace: String

    /// Reads the header off `payload`, leaving the body; nil when the header is malformed.
    init?(_ payload: inout ByteBuffer, received: ContinuousClock.Instant) {
        guard let methodID = payload.readVarint(), let timeout = payload.readVarint(),
            let traceLength = payload.readVarint(), traceLength <= UInt64(payload.readableBytes),
            let trace = payload.readString(length: Int(traceLength))
        else { return nil }
        self.methodID = UInt32(truncatingIfNeeded: methodID)
        self.deadline = timeout == 0 ? nil : received.advanced(by: .microseconds(Int64(clamping: timeout)))
        self.trace = trace
    }

    /// What the handler of `route` sees.
    func context(_ route: WireRouter.Route, connectionLogger: Logger) -> WireContext {
        var logger = connectionLogger
        logger[metadataKey: "method"] = "\(route.name)"
        if !trace.isEmpty { logger[metadataKey: "trace"] = "\(trace)" }
        return WireContext(deadline: deadline, trace: trace, logger: logger)
    }

    /// The RESPONSE or ERROR frame for request `id` once its handler has finished.
    func reply(
        to id: UInt32, _ route: WireRouter.Route, _ result: Result<EncodedMessage, any Error>, logger: Logger,
        allocator: ByteBufferAllocator
    ) -> ByteBuffer {
        switch result {
        case .success(let message):
            return Frame.outbound(.response, id: id, capacity: message.count, allocator: allocator) {
                $0.writeMessage(message)
            }
        case .failure(let error):
            let wireError: WireError
            switch error {
            case let error as WireError: wireError = error
            case is CancellationError:
                if let deadline, ContinuousClock.now >= deadline {
                    wireError = WireError(.deadlineExceeded, "\(route.name) ran past its deadline")
                } else {
                    wireError = WireError(.cancelled, "\(route.name) was cancelled")
                }
            default:
                logger.error("Handler failed", metadata: ["error": "\(error)"])
                wireError = WireError(.internal, "\(route.name) failed: \(error)")
            }
            return Frame.error(wireError, id: id, allocator: allocator)
        }
    }
}

/// The connection a server channel's event loop hands requests to: set once the handshake has proved the
/// peer, cleared for good when the connection drains or ends (requests then go to the reader, which
/// answers them `unavailable` or not at all).
final class ConnectionGate: Sendable {
    private let state = Mutex<(connection: ServerConnection?, closed: Bool)>((nil, false))

    func open(_ connection: ServerConnection) {
        state.withLock { state in
            if !state.closed { state.connection = connection }
        }
    }

    func close() { state.withLock { $0 = (nil, true) } }

    var connection: ServerConnection? { state.withLock { $0.connection } }
}

/// Sits in a server connection's pipeline before the reader task. Once the handshake is done it answers, in
/// place, the requests whose methods were registered with `registerOnEventLoop`, and starts the task of
/// every other request itself; other frames, and requests the in-flight bound has no room for, pass on to
/// the reader.
final class EventLoopRequests: ChannelInboundHandler {
    typealias InboundIn = Frame
    typealias InboundOut = Frame
    typealias OutboundOut = ByteBuffer

    private let router: WireRouter
    private let limits: WireLimits
    private let logger: Logger
    private let gate: ConnectionGate
    /// Replies written since the last flush; flushed once per batch of reads.
    private var unflushed = false

    init(router: WireRouter, limits: WireLimits, logger: Logger, gate: ConnectionGate) {
        self.router = router
        self.limits = limits
        self.logger = logger
        self.gate = gate
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard frame.type == .request, let connection = gate.connection else {
            context.fireChannelRead(data)
            return
        }
        let received = ContinuousClock.now
        var body = frame.payload
        // A peer that does not read its answers meets the reader's backpressure, not a growing write queue.
        if frame.payload.readableBytes <= WireRouter.eventLoopRequestLimit, context.channel.isWritable,
            let header = RequestHeader(&body, received: received), let route = router.handlers[header.methodID],
            let handler = route.onEventLoop
        {
            let call = header.context(route, connectionLogger: logger)
            let result = Result { try handler(body, call, limits) }
            let reply = header.reply(
                to: frame.id, route, result, logger: call.logger, allocator: context.channel.allocator)
            context.write(wrapOutboundOut(reply), promise: nil)
            unflushed = true
            return
        }
        // Any other request starts its task from here, one hand-off sooner than through the reader.
        if !connection.startFromEventLoop(frame, received: received) {
            context.fireChannelRead(data)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if unflushed {
            unflushed = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }
}
