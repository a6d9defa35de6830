import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// An accepted connection: its channel for the reader task, and the gate its event-loop handler obeys.
struct AcceptedConnection: Sendable {
    var channel: NIOAsyncChannel<Frame, ByteBuffer>
    var gate: ConnectionGate
}

/// A Wire server: accepts connections, checks the handshake, and runs registered handlers.
public final class WireServer: Service, Sendable {
    public let configuration: WireServerConfiguration
    let router: WireRouter
    let secret: ClusterSecret
    /// Mutual TLS; nil for plain Wire, which binds loopback addresses only.
    let tls: WireTLS?
    let logger: Logger
    private let group: any EventLoopGroup
    private let bound: EventLoopPromise<SocketAddress>
    private let state = Mutex(State())

    private struct State {
        var serverChannel: (any Channel)?
        var connections: [ObjectIdentifier: ServerConnection] = [:]
        /// Open connections per peer address.
        var perPeer: [String: Int] = [:]
        var shuttingDown = false
    }

    public init(
        configuration: WireServerConfiguration, router: WireRouter, secret: ClusterSecret, tls: WireTLS? = nil,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger
    ) {
        self.configuration = configuration
        self.router = router
        self.secret = secret
        self.tls = tls
        self.group = group
        self.logger = logger
        self.bound = group.next().makePromise()
    }

    /// The address the server listens on, once it is bound.
    public func localAddress() async throws -> SocketAddress {
        try await bound.futureResult.get()
    }

    public func run() async throws {
        let maxFrameSize = configuration.maxFrameSize
        let (router, limits, logger, tls) = (self.router, configuration.limits, self.logger, self.tls)
        let server: NIOAsyncChannel<AcceptedConnection, Never>
        do {
            if tls == nil, !WireEndpoint.isLoopback(configuration.host) {
                throw WireError(
                    .failedPrecondition,
                    "Plain Wire listens on loopback only; \(configuration.host) needs TLS (certificates)")
            }
            server = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 256)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .childChannelOption(.recvAllocator, value: Frame.receiveAllocator)
                .bind(host: configuration.host, port: configuration.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let gate = ConnectionGate()
                        if let tls { try channel.pipeline.syncOperations.addHandler(tls.serverHandler()) }
                        try channel.pipeline.syncOperations.addHandlers(
                            ByteToMessageHandler(FrameDecoder(maxFrameSize: maxFrameSize, handshakeFrames: 2)),
                            EventLoopRequests(
                                router: router, limits: limits, logger: Self.connectionLogger(logger, channel),
                                gate: gate))
                        return AcceptedConnection(
                            channel: try NIOAsyncChannel(wrappingChannelSynchronously: channel), gate: gate)
                    }
                }
        } catch {
            bound.fail(error)
            throw error
        }
        let address = server.channel.localAddress!
        state.withLock { $0.serverChannel = server.channel }
        bound.succeed(address)
        logger.info(
            "Wire server listening",
            metadata: [
                "service": "\(configuration.service)", "address": "\(address)",
                "transport": "\(tls == nil ? "plain" : "TLS 1.3, mutual")",
            ])

        try await withGracefulShutdownHandler {
            try await server.executeThenClose { inbound in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await accepted in inbound {
                        group.addTask { await self.serve(accepted) }
                    }
                }
            }
        } onGracefulShutdown: {
            self.shutDownGracefully()
        }
        logger.info("Wire server stopped", metadata: ["service": "\(configuration.service)"])
    }

    /// Connections currently open (past or in the handshake); for tests that check nothing leaks.
    var connectionCount: Int { state.withLock { $0.connections.count } }

    /// Stops accepting, sends GOAWAY on every connection and lets in-flight requests finish.
    public func shutDownGracefully() {
        let (channel, connections) = state.withLock { state in
            state.shuttingDown = true
            return (state.serverChannel, Array(state.connections.values))
        }
        channel?.close(promise: nil)
        connections.forEach { $0.drain() }
    }

    /// The server's logger with the peer's address.
    static func connectionLogger(_ logger: Logger, _ channel: any Channel) -> Logger {
        var logger = logger
        logger[metadataKey: "peer"] = "\(channel.remoteAddress?.description ?? "?")"
        return logger
    }

    private func serve(_ accepted: AcceptedConnection) async {
        let channel = accepted.channel
        let connection = ServerConnection(server: self, accepted: accepted)
        let key = ObjectIdentifier(connection)
        let peer = channel.channel.remoteAddress?.ipAddress ?? "?"
        let (total, perPeer) = (configuration.maxConnections, configuration.maxConnectionsPerPeer)
        enum Admission { case admitted, shuttingDown, refused(String) }
        let admission = state.withLock { state -> Admission in
            guard !state.shuttingDown else { return .shuttingDown }
            if state.connections.count >= total { return .refused("\(total) connections are open") }
            if state.perPeer[peer, default: 0] >= perPeer {
                return .refused("\(perPeer) connections from \(peer) are open")
            }
            state.connections[key] = connection
            state.perPeer[peer, default: 0] += 1
            return .admitted
        }
        switch admission {
        case .admitted: break
        case .shuttingDown:
            try? await channel.channel.close()
            return
        case .refused(let why):
            logger.warning("Wire connection refused", metadata: ["peer": "\(peer)", "why": "\(why)"])
            try? await channel.channel.close()
            return
        }
        defer {
            state.withLock { state in
                state.connections.removeValue(forKey: key)
                let left = state.perPeer[peer, default: 1] - 1
                state.perPeer[peer] = left > 0 ? left : nil
            }
        }
        await connection.run()
    }
}
