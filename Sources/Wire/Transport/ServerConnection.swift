import Logging
import NIOCore
import NIOSSL
import Primitives
import Synchronization
import Tracing

/// One accepted connection: handshake, then requests served concurrently up to the in-flight bound.
final class ServerConnection: Sendable {
    private let server: WireServer
    private let channel: NIOAsyncChannel<Frame, ByteBuffer>
    private let gate: ConnectionGate
    private let limiter: InFlightLimiter
    private let drainSignal = AsyncStream<Void>.makeStream()
    private let state = Mutex(State())
    private let logger: Logger

    private struct State {
        var draining = false
        /// The task of every request in flight, registered before the next frame is read (by the event
        /// loop or the reader), so that a CANCEL that follows always finds it; the number tells a task
        /// apart from a later one under the same id.
        var tasks: [UInt32: (number: UInt64, task: Task<Void, Never>)] = [:]
        var started: UInt64 = 0
        /// Where answers go, once the handshake is done.
        var outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>?
        /// Who the peer is, known once the handshake is done.
        var peer = WirePeer.clusterSecret
    }

    /// Who the peer is (its certificate's identity over TLS); read once the handshake is done.
    var peer: WirePeer { state.withLock { $0.peer } }

    init(server: WireServer, accepted: AcceptedConnection) {
        self.server = server
        self.channel = accepted.channel
        self.gate = accepted.gate
        self.limiter = InFlightLimiter(limit: server.configuration.maxInFlightPerConnection)
        self.logger = WireServer.connectionLogger(server.logger, accepted.channel.channel)
    }

    private var allocator: ByteBufferAllocator { channel.channel.allocator }

    /// Asks the connection to finish what it has started and close.
    func drain() {
        drainSignal.continuation.yield()
        drainSignal.continuation.finish()
    }

    func run() async {
        let configuration = server.configuration
        let raw = channel.channel
        let logger = self.logger
        let handshakeTimer = raw.eventLoop.scheduleTask(in: TimeAmount(configuration.handshakeTimeout)) {
            logger.warning("Wire handshake timed out; closing the connection")
            raw.close(promise: nil)
        }
        do {
            try await channel.executeThenClose { inbound, outbound in
                var frames = inbound.makeAsyncIterator()
                guard try await handshake(&frames, outbound) else { return }
                handshakeTimer.cancel()
                state.withLock { $0.outbound = outbound }
                gate.open(self)
                defer { gate.close() }
                try await withThrowingDiscardingTaskGroup { watcher in
                    watcher.addTask {
                        for await _ in self.drainSignal.stream {
                            await self.goAway(outbound)
                            return
                        }
                    }
                    try await serveRequests(&frames, outbound)
                    watcher.cancelAll()
                }
            }
        } catch {
            logger.debug("Wire connection closed", metadata: ["reason": "\(error)"])
        }
        handshakeTimer.cancel()
        gate.close()
        // The peer is gone or broke the protocol: nobody waits for the answers.
        await finishRequests(cancelling: true)
    }

    /// Starts a request the event loop has read (and parsed the header of: nil when malformed) in a task,
    /// when the in-flight bound has room; otherwise the frame goes to the reader, which waits for room and
    /// so stops reading the connection.
    func startFromEventLoop(id: UInt32, header: RequestHeader?, body: ByteBuffer) -> Bool {
        guard limiter.tryAcquire() else { return false }
        start(id: id, header: header, body: body)
        return true
    }

    /// Runs the request's handler in a task of its own (unstructured, so that CANCEL can cancel this one
    /// request), registered before this returns; the task gives its in-flight slot back when done. Not
    /// fire-and-forget: `run` awaits every registered task (`finishRequests`) before it returns.
    private func start(id: UInt32, header: RequestHeader?, body: ByteBuffer) {
        state.withLock { state in
            guard let outbound = state.outbound else {
                limiter.release()
                return
            }
            state.started += 1
            let number = state.started
            // Inside the lock, so that the task cannot finish and unregister before it is registered.
            state.tasks[id] = (
                number,
                Task {
                    await self.handle(id: id, header: header, body: body, outbound)
                    self.state.withLock { state in
                        if state.tasks[id]?.number == number { state.tasks.removeValue(forKey: id) }
                    }
                    self.limiter.release()
                }
            )
        }
    }

    /// Waits for every request task, cancelling them first when nobody waits for their answers.
    private func finishRequests(cancelling: Bool) async {
        while let tasks = state.withLock({ $0.tasks.isEmpty ? nil : $0.tasks.values.map(\.task) }) {
            for task in tasks {
                if cancelling { task.cancel() }
                await task.value
            }
        }
    }

    private func handshake(
        _ frames: inout NIOAsyncChannelInboundStream<Frame>.AsyncIterator,
        _ outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    ) async throws -> Bool {
        let service = server.configuration.service
        func refuse(_ error: WireError) async throws -> Bool {
            logger.warning("Wire handshake refused", metadata: ["reason": "\(error.message)"])
            try await outbound.write(Frame.error(error, id: 0, allocator: allocator))
            return false
        }
        guard let helloFrame = try await frames.next() else { return false }
        // Over TLS the handshake finished before any frame could be read: the peer's certificate is known.
        if server.tls != nil {
            guard let certificate = try await channel.channel.nioSSL_peerCertificate().get(),
                case let names = try WireTLS.identities(of: certificate), names.count == 1, let name = names.first
            else {
                return try await refuse(WireError(.unauthenticated, "The peer's certificate names no single identity"))
            }
            state.withLock { $0.peer = .certified(name) }
            logger.debug("Wire peer identified", metadata: ["caller": "\(name)"])
        }
        guard helloFrame.type == .hello, helloFrame.flags == 0,
            let hello = try? helloFrame.payload.withUnsafeReadableBytes({
                try WireDecoder().decode(Hello.self, from: $0)
            })
        else {
            return try await refuse(WireError(.protocolViolation, "Expected HELLO"))
        }
        guard hello.service == service else {
            return try await refuse(WireError(.unavailable, "This is \(service), not \(hello.service)"))
        }
        guard hello.minVersion <= Handshake.protocolVersion, Handshake.protocolVersion <= hello.maxVersion else {
            return try await refuse(
                WireError(
                    .protocolViolation, "No common protocol version; this server speaks \(Handshake.protocolVersion)"))
        }
        guard hello.nonce.count == Handshake.nonceSize else {
            return try await refuse(WireError(.protocolViolation, "HELLO nonce must be \(Handshake.nonceSize) bytes"))
        }
        let nonce = Crypto.randomBytes(Handshake.nonceSize)
        let secret = server.secret
        let ours = WireContracts.announced
        if let theirs = hello.contracts, let ours, theirs != ours {
            // Both sides keep to docs/wire.md's evolution rules, so this works; it is worth knowing
            // during a rolling upgrade.
            logger.notice("Peer speaks other contracts", metadata: ["peer": "\(theirs)", "ours": "\(ours)"])
        }
        let ack = HelloAck(
            version: Handshake.protocolVersion, service: service, nonce: nonce,
            proof: Handshake.proof(secret, side: "server", service: service, client: hello.nonce, server: nonce),
            contracts: ours)
        let ackBody = try WireEncoder().encode(ack)
        try await outbound.write(
            Frame.outbound(.helloAck, id: 0, capacity: ackBody.count, allocator: allocator) { $0.writeBytes(ackBody) })

        guard let proofFrame = try await frames.next() else { return false }
        let expected = Handshake.proof(secret, side: "client", service: service, client: hello.nonce, server: nonce)
        guard proofFrame.type == .hello, proofFrame.flags & Frame.flagProofOrAck != 0,
            Crypto.constantTimeEqual(Array(buffer: proofFrame.payload), expected)
        else {
            return try await refuse(WireError(.unauthenticated, "Cluster secret proof does not match"))
        }
        return true
    }

    private func serveRequests(
        _ frames: inout NIOAsyncChannelInboundStream<Frame>.AsyncIterator,
        _ outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    ) async throws {
        // Requests reach this loop only when the event loop could not start them (in-flight bound reached,
        // handshake or drain under way): here the reader waits for room, and stops reading meanwhile.
        while let frame = try await frames.next() {
            switch frame.type {
            case .request:
                var body = frame.payload
                let header = RequestHeader(&body, received: .now)
                await limiter.acquire()
                if state.withLock({ $0.draining }) {
                    limiter.release()
                    try await outbound.write(
                        Frame.error(
                            WireError.shuttingDown, id: frame.id, allocator: allocator))
                    continue
                }
                start(id: frame.id, header: header, body: body)
            case .cancel:
                state.withLock { $0.tasks[frame.id] }?.task.cancel()
            case .ping where frame.flags & Frame.flagProofOrAck == 0:
                try await outbound.write(Frame.pingReply(to: frame, allocator: allocator))
            case .ping:
                break
            case .goaway:
                // The client takes no new calls here: answer what it has sent, then close.
                gate.close()
                await finishRequests(cancelling: false)
                return
            default:
                try await outbound.write(
                    Frame.error(
                        WireError(.protocolViolation, "Unexpected \(frame.type) frame"), id: 0, allocator: allocator))
                return
            }
        }
    }

    private func handle(
        id: UInt32, header: RequestHeader?, body: ByteBuffer, _ outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    ) async {
        guard let header else {
            try? await outbound.write(
                Frame.error(WireError(.protocolViolation, "Malformed REQUEST header"), id: id, allocator: allocator))
            return
        }
        guard let route = server.router.handlers[header.methodID] else {
            try? await outbound.write(
                Frame.error(
                    WireError(.unimplemented, "\(server.configuration.service) has no method \(header.methodID)"),
                    id: id,
                    allocator: allocator))
            return
        }
        if let deadline = header.deadline, ContinuousClock.now >= deadline {
            // It waited behind the in-flight bound for longer than the caller will wait.
            try? await outbound.write(
                Frame.error(
                    WireError(.deadlineExceeded, "\(route.name) expired before it started"), id: id,
                    allocator: allocator))
            return
        }
        let peer = self.peer
        guard route.callers.admits(peer) else {
            logger.warning("Wire call refused", metadata: ["method": "\(route.name)", "caller": "\(peer)"])
            try? await outbound.write(
                Frame.error(
                    WireError(.permissionDenied, "\(peer) may not call \(route.name)"), id: id, allocator: allocator))
            return
        }
        let context = header.context(route, peer: peer, connectionLogger: logger)
        // The caller enforces its deadline and sends CANCEL when it passes, so no server-side timer
        // is needed (a dead connection cancels everything).
        let result: Result<EncodedMessage, any Error>
        do {
            let limits = server.configuration.limits
            // The caller's trace context and deadline become the task's, so calls the handler makes inherit
            // them; the handler runs in a server span of that trace.
            result = .success(
                try await WireTrace.run(route.name, ofKind: .server, trace: context.trace, deadline: context.deadline) {
                    try await route.run(body, context, limits)
                })
        } catch {
            result = .failure(error)
        }
        try? await outbound.write(
            header.reply(to: id, route, result, logger: context.logger, allocator: allocator))
    }

    private func goAway(_ outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) async {
        state.withLock { $0.draining = true }
        gate.close()
        try? await outbound.write(Frame.outbound(.goaway, id: 0, allocator: allocator))
        let clock = ContinuousClock()
        let until = clock.now.advanced(by: server.configuration.drainTimeout)
        while limiter.active > 0, clock.now < until {
            try? await Task.sleep(for: .milliseconds(5))
        }
        try? await channel.channel.close()
    }
}
