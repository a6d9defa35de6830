import NIOCore
import Primitives
import Synchronization

/// A boolean that one thread sets and others read.
final class AtomicFlag: Sendable {
    private let value = Atomic<Bool>(false)

    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}

/// Client side of one connection, confined to its event loop: handshake, pending calls, deadlines.
final class WireClientHandler: ChannelInboundHandler {
    typealias InboundIn = Frame
    typealias OutboundOut = ByteBuffer

    private struct Pending {
        var continuation: CheckedContinuation<ByteBuffer, any Error>
        /// When the caller stops waiting, and the timeout it gave (for the error).
        var deadline: NIODeadline?
        var timeout: TimeAmount?
    }

    private let service: String
    private let secret: ClusterSecret
    private let clientNonce = Crypto.randomBytes(Handshake.nonceSize)
    let handshakeDone: EventLoopPromise<Void>
    private var handshaken = false
    private var helloSent = false
    private var pending: [UInt32: Pending] = [:]
    private var cancelledEarly: Set<UInt32> = []
    private var pings: [UInt32: EventLoopPromise<Void>] = [:]
    /// One timer per connection, set for the earliest deadline it knows of, instead of one per call: a
    /// timer per call cost a scheduled task each, and cancelling one searches the loop's whole queue.
    private var deadlineTimer: (deadline: NIODeadline, task: Scheduled<Void>)?
    private var context: ChannelHandlerContext?
    /// Read from other threads by the pool to skip a connection that is closing.
    let goingAway: AtomicFlag
    private var closedError: WireError?

    init(service: String, secret: ClusterSecret, eventLoop: any EventLoop, goingAway: AtomicFlag) {
        self.goingAway = goingAway
        self.service = service
        self.secret = secret
        self.handshakeDone = eventLoop.makePromise()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelActive(context: ChannelHandlerContext) {
        sayHello(context: context)
        context.fireChannelActive()
    }

    /// Sends HELLO once; called by `channelActive` or by the connector when the channel was already active.
    func sayHello(context: ChannelHandlerContext) {
        guard !helloSent else { return }
        helloSent = true
        let hello = Hello(
            minVersion: Handshake.protocolVersion, maxVersion: Handshake.protocolVersion, service: service,
            nonce: clientNonce, contracts: WireContracts.announced)
        let body = try! WireEncoder().encode(hello)
        context.writeAndFlush(
            wrapOutboundOut(
                Frame.outbound(.hello, id: 0, allocator: context.channel.allocator) { $0.writeBytes(body) }),
            promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard handshaken else {
            completeHandshake(frame, context: context)
            return
        }
        switch frame.type {
        case .response:
            finish(frame.id, .success(frame.payload))
        case .error where frame.id == 0:
            fail(frame.wireError(), context: context)
        case .error:
            finish(frame.id, .failure(frame.wireError()))
        case .ping where frame.flags & Frame.flagProofOrAck != 0:
            pings.removeValue(forKey: frame.id)?.succeed()
        case .ping:
            context.writeAndFlush(
                wrapOutboundOut(Frame.pingReply(to: frame, allocator: context.channel.allocator)), promise: nil)
        case .goaway:
            goingAway.set()
        default:
            fail(WireError(.protocolViolation, "Unexpected \(frame.type) frame from server"), context: context)
        }
    }

    private func completeHandshake(_ frame: Frame, context: ChannelHandlerContext) {
        if frame.type == .error {
            fail(frame.wireError(), context: context)
            return
        }
        guard frame.type == .helloAck,
            let ack = try? frame.payload.withUnsafeReadableBytes({ try WireDecoder().decode(HelloAck.self, from: $0) }),
            ack.version == Handshake.protocolVersion, ack.service == service
        else {
            fail(WireError(.protocolViolation, "Expected HELLO_ACK from \(service)"), context: context)
            return
        }
        let expected = Handshake.proof(secret, side: "server", service: service, client: clientNonce, server: ack.nonce)
        guard Crypto.constantTimeEqual(ack.proof, expected) else {
            fail(WireError(.unauthenticated, "\(service) does not know the cluster secret"), context: context)
            return
        }
        let proof = Handshake.proof(secret, side: "client", service: service, client: clientNonce, server: ack.nonce)
        context.writeAndFlush(
            wrapOutboundOut(
                Frame.outbound(.hello, flags: Frame.flagProofOrAck, id: 0, allocator: context.channel.allocator) {
                    $0.writeBytes(proof)
                }), promise: nil)
        handshaken = true
        handshakeDone.succeed()
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(closedError ?? WireError(.unavailable, "Connection to \(service) closed"), context: context)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A TLS error before the handshake is done is a certificate one side refused; after it, the
        // connection broke (a peer killed mid-stream ends TLS uncleanly), which is an outage.
        let wireError =
            error as? WireError ?? (handshaken ? nil : WireTLS.failure(error, service: service))
            ?? WireError(.unavailable, "Connection to \(service) failed: \(error)")
        fail(wireError, context: context)
    }

    /// Fails everything pending and closes the connection.
    private func fail(_ error: WireError, context: ChannelHandlerContext) {
        closedError = closedError ?? error
        goingAway.set()
        handshakeDone.fail(error)
        let calls = pending
        pending = [:]
        deadlineTimer?.task.cancel()
        deadlineTimer = nil
        for (_, call) in calls { call.continuation.resume(throwing: error) }
        for (_, ping) in pings { ping.fail(error) }
        pings = [:]
        context.close(promise: nil)
    }

    private func finish(_ id: UInt32, _ result: Result<ByteBuffer, any Error>) {
        // The deadline timer is left alone: when it fires it finds this call gone and moves on.
        pending.removeValue(forKey: id)?.continuation.resume(with: result)
    }

    // MARK: Called on the event loop by ClientConnection

    func start(
        id: UInt32, request: ByteBuffer, timeout: TimeAmount?, continuation: CheckedContinuation<ByteBuffer, any Error>
    ) {
        guard let context else {
            continuation.resume(throwing: WireError(.unavailable, "Connection to \(service) is not open"))
            return
        }
        if cancelledEarly.remove(id) != nil {
            continuation.resume(throwing: WireError(.cancelled, "Call was cancelled"))
            return
        }
        if let closedError {
            continuation.resume(throwing: closedError)
            return
        }
        let deadline = timeout.map { NIODeadline.now() + $0 }
        pending[id] = Pending(continuation: continuation, deadline: deadline, timeout: timeout)
        if let deadline { armDeadlineTimer(deadline, context.eventLoop) }
        context.writeAndFlush(wrapOutboundOut(request), promise: nil)
    }

    /// Gives up on a call (task cancelled or deadline passed) and tells the server with CANCEL.
    func abandon(_ id: UInt32, _ error: WireError) {
        guard let call = pending.removeValue(forKey: id) else {
            if error.code == .cancelled { cancelledEarly.insert(id) }
            return
        }
        call.continuation.resume(throwing: error)
        if let context {
            context.writeAndFlush(
                wrapOutboundOut(Frame.outbound(.cancel, id: id, allocator: context.channel.allocator)), promise: nil)
        }
    }

    /// Makes sure the timer fires by `deadline`.
    private func armDeadlineTimer(_ deadline: NIODeadline, _ eventLoop: any EventLoop) {
        if let current = deadlineTimer, current.deadline <= deadline { return }
        deadlineTimer?.task.cancel()
        deadlineTimer = (deadline, eventLoop.scheduleTask(deadline: deadline) { [self] in self.expireCalls(eventLoop) })
    }

    /// Gives up on every call whose deadline has passed, then sets the timer for the earliest one left.
    private func expireCalls(_ eventLoop: any EventLoop) {
        deadlineTimer = nil
        let now = NIODeadline.now()
        var expired: [(UInt32, TimeAmount?)] = []
        var next: NIODeadline?
        for (id, call) in pending {
            guard let deadline = call.deadline else { continue }
            if deadline <= now {
                expired.append((id, call.timeout))
            } else {
                next = min(next ?? deadline, deadline)
            }
        }
        for (id, timeout) in expired {
            let within = timeout.map { " within \($0)" } ?? ""
            abandon(id, WireError(.deadlineExceeded, "No answer from \(service)\(within)"))
        }
        if let next { armDeadlineTimer(next, eventLoop) }
    }

    func ping(id: UInt32, promise: EventLoopPromise<Void>) {
        guard let context, closedError == nil else {
            promise.fail(closedError ?? WireError(.unavailable, "Connection to \(service) is not open"))
            return
        }
        pings[id] = promise
        context.writeAndFlush(
            wrapOutboundOut(Frame.outbound(.ping, id: id, allocator: context.channel.allocator)), promise: nil)
    }
}
