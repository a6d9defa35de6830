/// How a Wire server listens and what it tolerates from peers.
public struct WireServerConfiguration: Sendable {
    /// Address to bind (default loopback).
    public var host: String
    /// Port to bind; 0 picks a free one (default 0).
    public var port: Int
    /// The service name clients must ask for in HELLO.
    public var service: String
    /// Largest frame accepted, in bytes (default 64 MiB); checked before the body is buffered.
    public var maxFrameSize: Int
    /// Requests handled at once per connection (default 1,024); further requests wait unread.
    public var maxInFlightPerConnection: Int
    /// Time a new connection has to complete the handshake (default 20 s): long enough that a loaded machine,
    /// whose reader tasks may wait seconds for a thread, does not drop honest peers; silent ones still go.
    public var handshakeTimeout: Duration
    /// Time in-flight requests get to finish after GOAWAY (default 10 s).
    public var drainTimeout: Duration
    /// Depth and count limits for request bodies.
    public var limits: WireLimits
    /// Connections open at once, in all (default 2,048) and from one peer address (default 512); a
    /// connection past either is closed as it is accepted, before its handshake.
    public var maxConnections: Int
    public var maxConnectionsPerPeer: Int

    public init(
        host: String = "127.0.0.1", port: Int = 0, service: String, maxFrameSize: Int = 64 << 20,
        maxInFlightPerConnection: Int = 1024, handshakeTimeout: Duration = .seconds(20),
        drainTimeout: Duration = .seconds(10), limits: WireLimits = WireLimits(), maxConnections: Int = 2048,
        maxConnectionsPerPeer: Int = 512
    ) {
        self.host = host
        self.port = port
        self.service = service
        self.maxFrameSize = maxFrameSize
        self.maxInFlightPerConnection = maxInFlightPerConnection
        self.handshakeTimeout = handshakeTimeout
        self.drainTimeout = drainTimeout
        self.limits = limits
        self.maxConnections = maxConnections
        self.maxConnectionsPerPeer = maxConnectionsPerPeer
    }
}
