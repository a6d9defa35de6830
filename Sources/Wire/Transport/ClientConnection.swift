import NIOCore
import NIOPosix
import Synchronization

/// One authenticated connection to a service, shared by many concurrent calls.
final class ClientConnection: Sendable {
    let channel: any Channel
    private let handler: NIOLoopBound<WireClientHandler>
    private let nextID = Atomic<UInt32>(1)
    private let goingAway: AtomicFlag

    private init(channel: any Channel, handler: NIOLoopBound<WireClientHandler>, goingAway: AtomicFlag) {
        self.channel = channel
        self.goingAway = goingAway
        self.handler = handler
    }

    static func connect(
        host: String, port: Int, service: String, secret: ClusterSecret, tls: WireTLS?, maxFrameSize: Int,
        connectTimeout: Duration, group: any EventLoopGroup
    ) async throws -> ClientConnection {
        if tls == nil, !WireEndpoint.isLoopback(host) {
            throw WireError(.failedPrecondition, "Plain Wire goes to loopback only; \(service) at \(host) needs TLS")
        }
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(TimeAmount(connectTimeout))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelOption(.recvAllocator, value: Frame.receiveAllocator)
                .connect(host: host, port: port)
                .get()
        } catch {
            throw WireError(.unavailable, "Cannot connect to \(service) at \(host):\(port): \(error)")
        }
        let goingAway = AtomicFlag()
        let (handler, handshake) = try await channel.eventLoop.submit {
            let handler = WireClientHandler(
                service: service, secret: secret, eventLoop: channel.eventLoop, goingAway: goingAway)
            // TLS first: it handshakes as it is added (the channel is active) and holds HELLO until it is done.
            if let tls { try channel.pipeline.syncOperations.addHandler(try tls.clientHandler(for: service)) }
            try channel.pipeline.syncOperations.addHandlers([
                ByteToMessageHandler(FrameDecoder(maxFrameSize: maxFrameSize)), handler,
            ])
            // The channel became active before the handler was added: say HELLO now.
            let context = try channel.pipeline.syncOperations.context(handlerType: WireClientHandler.self)
            handler.sayHello(context: context)
            return (NIOLoopBound(handler, eventLoop: channel.eventLoop), handler.handshakeDone.futureResult)
        }.get()
        let timeout = channel.eventLoop.scheduleTask(in: TimeAmount(connectTimeout)) {
            handler.value.handshakeDone.fail(WireError(.unavailable, "Handshake with \(service) timed out"))
            channel.close(promise: nil)
        }
        defer { timeout.cancel() }
        do {
            try await handshake.get()
        } catch {
            try? await channel.close()
            throw error
        }
        return ClientConnection(channel: channel, handler: handler, goingAway: goingAway)
    }

    /// True once the server sent GOAWAY: it is shutting down, and calls in flight finish.
    var isGoingAway: Bool { goingAway.isSet }

    /// True while the connection can take new calls.
    var isUsable: Bool { channel.isActive && !goingAway.isSet }

    func call(methodID: UInt32, body: EncodedMessage, timeout: Duration?, trace: String) async throws -> ByteBuffer {
        let micros =
            timeout.map {
                UInt64(max(1, $0.components.seconds * 1_000_000 + $0.components.attoseconds / 1_000_000_000_000))
            } ?? 0
        let traceBytes = Array(trace.utf8)
        return try await send(timeout: timeout, payloadSize: 24 + traceBytes.count + body.count) { buffer in
            buffer.writeVarint(UInt64(methodID))
            buffer.writeVarint(micros)
            buffer.writeVarint(UInt64(traceBytes.count))
            buffer.writeBytes(traceBytes)
            buffer.writeMessage(body)
        }
    }

    /// Sends a REQUEST whose payload (header and body) `writePayload` writes, and waits for its answer.
    func send(
        timeout: Duration?, payloadSize: Int, _ writePayload: (inout ByteBuffer) -> Void
    ) async throws -> ByteBuffer {
        let id = nextID.add(1, ordering: .relaxed).oldValue
        let request = Frame.outbound(.request, id: id, capacity: payloadSize, allocator: channel.allocator) {
            writePayload(&$0)
        }
        let handler = self.handler
        let eventLoop = channel.eventLoop
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                eventLoop.execute {
                    handler.value.start(
                        id: id, request: request, timeout: timeout.map { TimeAmount($0) }, continuation: continuation)
                }
            }
        } onCancel: {
            eventLoop.execute { handler.value.abandon(id, WireError(.cancelled, "Call was cancelled")) }
        }
    }

    func ping() async throws {
        let id = nextID.add(1, ordering: .relaxed).oldValue
        let promise = channel.eventLoop.makePromise(of: Void.self)
        let handler = self.handler
        channel.eventLoop.execute { handler.value.ping(id: id, promise: promise) }
        try await promise.futureResult.get()
    }

    func close() async {
        try? await channel.close()
    }
}
