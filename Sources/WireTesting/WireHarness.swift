import Contracts
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Wire

/// Runs a real Wire server on port 0 in the test process for the duration of `body`.
public func withWireServer<T: Sendable>(
    service: String, router: WireRouter, secret: ClusterSecret = WireHarness.secret, tls: WireTLS? = nil,
    configure: (inout WireServerConfiguration) -> Void = { _ in },
    _ body: (WireHarness) async throws -> T
) async throws -> T {
    ContractRegistry.register()
    var configuration = WireServerConfiguration(service: service)
    configure(&configuration)
    var logger = Logger(label: "test.\(service)")
    logger.logLevel = .warning
    let server = WireServer(configuration: configuration, router: router, secret: secret, tls: tls, logger: logger)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await server.run() }
        let address = try await server.localAddress()
        let harness = WireHarness(server: server, endpoint: WireEndpoint(host: "127.0.0.1", port: address.port!))
        do {
            let result = try await body(harness)
            await harness.closeClients()
            group.cancelAll()
            return result
        } catch {
            await harness.closeClients()
            group.cancelAll()
            throw error
        }
    }
}

/// What a contract test gets: the running server, its address, and clients for it.
public final class WireHarness: Sendable {
    public static let secret = ClusterSecret(bytes: Array(repeating: 7, count: 32))
    public let server: WireServer
    public let endpoint: WireEndpoint
    private let clients = NIOLockedValueBox<[WireClient]>([])

    init(server: WireServer, endpoint: WireEndpoint) {
        self.server = server
        self.endpoint = endpoint
    }

    /// A real client of the server; closed when the harness ends.
    public func client(
        secret: ClusterSecret = WireHarness.secret, tls: WireTLS? = nil, service: String? = nil, poolSize: Int = 1
    ) -> WireClient {
        let client = WireClient(
            endpoint: endpoint, service: service ?? server.configuration.service, secret: secret, tls: tls,
            poolSize: poolSize)
        clients.withLockedValue { $0.append(client) }
        return client
    }

    /// A plain TCP connection for sending bytes no client would send.
    public func rawConnection() async throws -> RawConnection {
        try await RawConnection.connect(to: endpoint)
    }

    func closeClients() async {
        for client in clients.withLockedValue({ $0 }) { await client.close() }
    }
}

/// A TCP connection that sends arbitrary bytes and reports what comes back.
public final class RawConnection: Sendable {
    let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>

    init(channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>) {
        self.channel = channel
    }

    static func connect(to endpoint: WireEndpoint) async throws -> RawConnection {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: endpoint.host, port: endpoint.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return RawConnection(channel: channel)
    }

    /// Writes `bytes`, then collects what the server sends until it closes or `timeout` passes.
    public func send(_ bytes: [UInt8], thenReadFor timeout: Duration = .seconds(2), halfClose: Bool = false)
        async throws
        -> (received: [UInt8], closedByServer: Bool)
    {
        try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(bytes: bytes))
            if halfClose { outbound.finish() }
            return try await withThrowingTaskGroup(of: ([UInt8], Bool)?.self) { group in
                let collected = NIOLockedValueBox<[UInt8]>([])
                group.addTask {
                    for try await chunk in inbound { collected.withLockedValue { $0 += Array(buffer: chunk) } }
                    return (collected.withLockedValue { $0 }, true)
                }
                group.addTask {
                    try? await Task.sleep(for: timeout)
                    return nil
                }
                let first = try await group.next()!
                group.cancelAll()
                return first ?? (collected.withLockedValue { $0 }, false)
            }
        }
    }
}

/// Runs one real Wire server per entry, each on its own port 0, for the duration of `body`.
public func withWireServers<T: Sendable>(
    _ servers: [(service: String, router: WireRouter)], secret: ClusterSecret = WireHarness.secret,
    _ body: ([String: WireEndpoint]) async throws -> T
) async throws -> T {
    func start(_ index: Int, _ endpoints: [String: WireEndpoint]) async throws -> T {
        guard index < servers.count else { return try await body(endpoints) }
        let (service, router) = servers[index]
        return try await withWireServer(service: service, router: router, secret: secret) { harness in
            var endpoints = endpoints
            endpoints[service] = harness.endpoint
            return try await start(index + 1, endpoints)
        }
    }
    return try await start(0, [:])
}
