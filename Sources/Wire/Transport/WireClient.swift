import Logging
import NIOCore
import NIOPosix
import Synchronization
import Tracing

/// Where a service listens.
public struct WireEndpoint: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port`.
    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else { return nil }
        self.host = String(text[..<colon])
        self.port = port
    }

    public var description: String { "\(host):\(port)" }

    /// Whether `host` is a loopback address or `localhost` (where plain Wire may go).
    public static func isLoopback(_ host: String) -> Bool {
        let host = host.lowercased()
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }
}

/// A client of one service, which may run as several replicas: a small pool of connections to each of
/// their addresses, reconnecting after a peer restarts. Calls go round the replicas; one that refuses a
/// connection, fails its handshake, sends GOAWAY or lets a call time out rests for `restAfterFailure`
/// while the others take its calls, and a call that found no connection moves on to the next replica
/// (nothing was sent, so that is safe for any method). When every replica rests, they are tried anyway.
public final class WireClient: Sendable {
    /// Every address of the service, in the order given.
    public let endpoints: [WireEndpoint]
    public let service: String
    private let replicas: [Replica]
    private let nextReplica = Atomic<Int>(0)

    /// How long a replica that failed gets no new calls while another is available.
    public static let restAfterFailure: Duration = .seconds(5)

    /// The first address (the only one, for a service that runs once).
    public var endpoint: WireEndpoint { endpoints[0] }

    public init(
        endpoints: [WireEndpoint], service: String, secret: ClusterSecret, tls: WireTLS? = nil, poolSize: Int = 2,
        maxFrameSize: Int = 64 << 20, connectTimeout: Duration = .seconds(10),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        precondition(!endpoints.isEmpty, "A Wire client needs an address")
        self.endpoints = endpoints
        self.service = service
        replicas = endpoints.map {
            Replica(
                endpoint: $0, service: service, secret: secret, tls: tls, poolSize: poolSize,
                maxFrameSize: maxFrameSize, connectTimeout: connectTimeout, group: group)
        }
    }

    public convenience init(
        endpoint: WireEndpoint, service: String, secret: ClusterSecret, tls: WireTLS? = nil, poolSize: Int = 2,
        maxFrameSize: Int = 64 << 20, connectTimeout: Duration = .seconds(10),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.init(
            endpoints: [endpoint], service: service, secret: secret, tls: tls, poolSize: poolSize,
            maxFrameSize: maxFrameSize, connectTimeout: connectTimeout, group: group)
    }

    /// A client that proves itself with `credentials` (over TLS when they carry a certificate).
    public convenience init(
        endpoints: [WireEndpoint], service: String, credentials: WireCredentials, poolSize: Int = 2,
        connectTimeout: Duration = .seconds(10)
    ) {
        self.init(
            endpoints: endpoints, service: service, secret: credentials.secret, tls: credentials.tls,
            poolSize: poolSize, connectTimeout: connectTimeout)
    }

    public convenience init(
        endpoint: WireEndpoint, service: String, credentials: WireCredentials, poolSize: Int = 2,
        connectTimeout: Duration = .seconds(10)
    ) {
        self.init(
            endpoints: [endpoint], service: service, credentials: credentials, poolSize: poolSize,
            connectTimeout: connectTimeout)
    }

    /// Calls `method`; throws `WireError` (`deadlineExceeded` after `timeout`, `unavailable` when unreachable).
    /// Made inside a request (`ServiceContext.current`: a Wire handler, the gateway's HTTP request, an event
    /// being handled), the call waits at most what is left of that request's deadline and carries its trace
    /// context unless given another `trace`.
    public func call<Request, Response>(
        _ method: Method<Request, Response>, _ request: Request, timeout: Duration? = .seconds(30),
        trace: String? = nil
    ) async throws -> Response {
        var timeout = timeout
        if let deadline = ServiceContext.current?.wireDeadline {
            let left = deadline - ContinuousClock.now
            guard left > .zero else {
                throw WireError(.deadlineExceeded, "\(method.name) not sent: the request it serves ran out of time")
            }
            timeout = min(timeout ?? left, left)
        }
        let trace = trace ?? WireTrace.current
        let body: EncodedMessage
        do {
            body = try WireEncoder().encodeMessage(request)
        } catch {
            throw WireError(.invalidArgument, "Request for \(method.name) does not encode: \(error)")
        }
        var response: ByteBuffer?
        var attempts = 0
        while response == nil {
            let (replica, connection) = try await connection()
            attempts += 1
            do {
                response = try await connection.call(methodID: method.id, body: body, timeout: timeout, trace: trace)
            } catch let error as WireError where replicas.count > 1 {
                if error.isShuttingDownRefusal {
                    // It never ran: another replica takes it.
                    replica.rest()
                    if attempts < replicas.count { continue }
                } else if error.code == .deadlineExceeded {
                    // Not repeated elsewhere (the method may have run), but the next calls go to the others.
                    replica.rest()
                }
                throw error
            }
        }
        let answer = response!
        do {
            return try answer.withUnsafeReadableBytes { try WireDecoder().decode(Response.self, from: $0) }
        } catch {
            throw WireError(.dataLoss, "Response of \(method.name) does not decode: \(error)")
        }
    }

    /// Round-trips a PING on one pooled connection.
    public func ping() async throws {
        try await connection().connection.ping()
    }

    /// Closes every pooled connection; later calls reconnect.
    public func close() async {
        for replica in replicas { await replica.close() }
    }

    /// A connection to the next replica in turn that is not resting, moving on when one cannot be reached.
    private func connection() async throws -> (replica: Replica, connection: ClientConnection) {
        if replicas.count == 1 { return (replicas[0], try await replicas[0].connection(leavingDraining: false)) }
        let start = nextReplica.add(1, ordering: .relaxed).oldValue
        let now = ContinuousClock.now
        var lastError: (any Error)?
        // Replicas that are up first, in turn; then the resting ones, rather than failing while one may be back.
        for resting in [false, true] {
            for offset in 0..<replicas.count {
                let replica = replicas[(start &+ offset) % replicas.count]
                guard replica.isResting(at: now) == resting else { continue }
                do {
                    return (replica, try await replica.connection(leavingDraining: true))
                } catch is CancellationError {
                    throw CancellationError()
                } catch {
                    replica.rest()
                    lastError = error
                }
            }
        }
        throw lastError ?? WireError(.unavailable, "No replica of \(service) answered")
    }
}

/// The connections to one address of a service.
private final class Replica: Sendable {
    let endpoint: WireEndpoint
    private let service: String
    private let secret: ClusterSecret
    private let tls: WireTLS?
    private let group: any EventLoopGroup
    private let poolSize: Int
    private let maxFrameSize: Int
    private let connectTimeout: Duration
    private let slots: Mutex<[Slot]>
    private let next = Atomic<Int>(0)
    private let restingUntil = Mutex<ContinuousClock.Instant?>(nil)

    private enum Slot {
        case empty
        case connecting(EventLoopFuture<ClientConnection>)
        case ready(ClientConnection)
    }

    init(
        endpoint: WireEndpoint, service: String, secret: ClusterSecret, tls: WireTLS?, poolSize: Int,
        maxFrameSize: Int, connectTimeout: Duration, group: any EventLoopGroup
    ) {
        self.endpoint = endpoint
        self.service = service
        self.secret = secret
        self.tls = tls
        self.group = group
        self.poolSize = max(1, poolSize)
        self.maxFrameSize = maxFrameSize
        self.connectTimeout = connectTimeout
        self.slots = Mutex(Array(repeating: .empty, count: max(1, poolSize)))
    }

    func isResting(at now: ContinuousClock.Instant) -> Bool {
        restingUntil.withLock { until in until.map { now < $0 } ?? false }
    }

    func rest() {
        restingUntil.withLock { $0 = ContinuousClock.now + WireClient.restAfterFailure }
    }

    func close() async {
        let open = slots.withLock { slots -> [ClientConnection] in
            defer { slots = Array(repeating: .empty, count: poolSize) }
            return slots.compactMap { if case .ready(let connection) = $0 { connection } else { nil } }
        }
        for connection in open { await connection.close() }
    }

    private enum Step {
        case ready(ClientConnection)
        case wait(EventLoopFuture<ClientConnection>)
        case claimed
        case needPromise
        case draining
    }

    /// A pooled connection, made when the slot has none. With `leavingDraining`, a slot whose connection
    /// got GOAWAY is not reconnected: the replica is shutting down and the caller tries another.
    func connection(leavingDraining: Bool) async throws -> ClientConnection {
        let index = next.add(1, ordering: .relaxed).oldValue % poolSize
        // The common case, a ready connection, takes the lock once and allocates nothing;
        // a promise is made only when this caller may have to connect.
        var promise: EventLoopPromise<ClientConnection>? = nil
        while true {
            let step = slots.withLock { slots -> Step in
                switch slots[index] {
                case .ready(let connection) where connection.isUsable: return .ready(connection)
                case .connecting(let future): return .wait(future)
                case .ready(let connection) where leavingDraining && connection.isGoingAway:
                    slots[index] = .empty
                    return .draining
                case .ready, .empty:
                    guard let promise else { return .needPromise }
                    slots[index] = .connecting(promise.futureResult)
                    return .claimed
                }
            }
            switch step {
            case .ready(let connection):
                promise?.fail(CancellationError())
                return connection
            case .wait(let future):
                promise?.fail(CancellationError())
                return try await future.get()
            case .claimed:
                return try await connect(index, promise!)
            case .needPromise:
                promise = group.next().makePromise(of: ClientConnection.self)
            case .draining:
                promise?.fail(CancellationError())
                throw WireError(.unavailable, "\(service) at \(endpoint) is going away")
            }
        }
    }

    private func connect(_ index: Int, _ promise: EventLoopPromise<ClientConnection>) async throws -> ClientConnection {
        do {
            let connection = try await ClientConnection.connect(
                host: endpoint.host, port: endpoint.port, service: service, secret: secret, tls: tls,
                maxFrameSize: maxFrameSize, connectTimeout: connectTimeout, group: group)
            slots.withLock { $0[index] = .ready(connection) }
            promise.succeed(connection)
            return connection
        } catch {
            slots.withLock { $0[index] = .empty }
            promise.fail(error)
            throw error
        }
    }
}

extension WireClient {
    /// Sends an already-encoded body; for tests that need bytes no Swift type would produce.
    func rawCall(methodID: UInt32, body: [UInt8], timeout: Duration? = .seconds(30)) async throws -> ByteBuffer {
        try await connection().connection.call(
            methodID: methodID, body: EncodedMessage(head: body), timeout: timeout, trace: "")
    }

    /// Sends a REQUEST frame whose whole payload, header included, is `payload`; for tests of bad headers.
    func rawRequest(payload: [UInt8]) async throws -> ByteBuffer {
        try await connection().connection.send(timeout: .seconds(30), payloadSize: payload.count) {
            $0.writeBytes(payload)
        }
    }
}
