import Logging
import NIOCore

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
        var body = frame.payload
        let header = RequestHeader(&body, received: .now)
        // A peer that does not read its answers meets the reader's backpressure, not a growing write queue.
        if let header, frame.payload.readableBytes <= WireRouter.eventLoopRequestLimit, context.channel.isWritable,
            let route = router.handlers[header.methodID], let handler = route.onEventLoop,
            route.callers.admits(connection.peer)
        {
            let call = header.context(route, peer: connection.peer, connectionLogger: logger)
            let result = Result { try handler(body, call, limits) }
            let reply = header.reply(
                to: frame.id, route, result, logger: call.logger, allocator: context.channel.allocator)
            context.write(wrapOutboundOut(reply), promise: nil)
            unflushed = true
            return
        }
        // Any other request starts its task from here, one hand-off sooner than through the reader, with
        // the header already read.
        if !connection.startFromEventLoop(id: frame.id, header: header, body: body) {
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
