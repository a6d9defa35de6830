import Contracts
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TraceContext
import Wire

/// Runs one Clearsky service: logging, its Wire server with `health`, and its background services,
/// all under one `ServiceGroup` that shuts down gracefully on SIGTERM and SIGINT.
public struct ServiceHost: Sendable {
    public let configuration: ServiceConfiguration
    public let logger: Logger
    private let started = ContinuousClock.now
    private let exitActions = ExitActions()

    public init(configuration: ServiceConfiguration) {
        self.configuration = configuration
        LoggingBootstrap.once(level: configuration.logLevel)
        PrivateFiles.restrictNewFiles()
        ContractRegistry.register()
        var logger = Logger(label: "clearsky.\(configuration.service.key)")
        logger.logLevel = configuration.logLevel
        self.logger = logger
    }

    /// Creates the service's state folder (private, with the data folder: `PrivateFiles`) and loads the
    /// cluster secret and the service's certificate (unless plain Wire was chosen); fails with a clear message.
    public func prepare() throws -> WireCredentials {
        do {
            try FileManager.default.createDirectory(
                atPath: configuration.stateDirectory, withIntermediateDirectories: true)
            try PrivateFiles.tighten(configuration.dataDirectory)
            try PrivateFiles.tighten(configuration.stateDirectory)
        } catch {
            throw WireError(.failedPrecondition, "Cannot make \(configuration.stateDirectory) private: \(error)")
        }
        return try configuration.credentials()
    }

    /// The `health` handler every service registers, with `registerOnEventLoop`: it answers on the
    /// connection's event loop, so a probe still gets through while CPU-heavy work holds every pool thread.
    /// `checks` (quick and non-blocking, like the handler) replaces the state-folder check.
    public func healthHandler(
        checks: (@Sendable () -> (HealthStatus.State, [String: String]))? = nil
    ) -> @Sendable (Empty, WireContext) throws -> HealthStatus {
        let service = configuration.service
        let folder = configuration.stateDirectory
        let checks = checks ?? { ServiceHost.folderCheck(folder) }
        let started = self.started
        return { _, _ in
            let (state, findings) = checks()
            let uptime = ContinuousClock.now - started
            return HealthStatus(
                service: service.rawValue, state: state, version: ClearskyVersion.current,
                uptimeSeconds: Double(uptime.components.seconds) + Double(uptime.components.attoseconds) / 1e18,
                checks: findings)
        }
    }

    /// Whether the service's state folder exists and is writable.
    public static func folderCheck(_ folder: String) -> (HealthStatus.State, [String: String]) {
        access(folder, W_OK) == 0 ? (.serving, ["dataFolder": "writable"]) : (.degraded, ["dataFolder": "not writable"])
    }

    /// A client of `peer`, whose address the configuration must give (`--store` and the like).
    public func client(of peer: ServiceName, credentials: WireCredentials) throws -> WireClient {
        guard let endpoints = configuration.peers[peer], !endpoints.isEmpty else {
            throw WireError(
                .failedPrecondition,
                "\(configuration.service.rawValue) needs \(peer.rawValue)'s address (--\(peer.key))")
        }
        return WireClient(endpoints: endpoints, service: peer.rawValue, credentials: credentials)
    }

    /// Serves `router` with `credentials` (from `prepare()`) and runs `services` until a signal arrives. The
    /// router must answer `health` (every `*Router.make` registers `healthHandler()` or its own).
    public func run(router: WireRouter, services: [any Service] = [], credentials: WireCredentials) async throws {
        guard router.handles(CommonContract.health) else {
            throw WireError(.failedPrecondition, "\(configuration.service.rawValue) serves no health method")
        }
        let server = WireServer(
            configuration: WireServerConfiguration(
                host: configuration.listen.host, port: configuration.listen.port,
                service: configuration.service.rawValue),
            router: router, secret: credentials.secret, tls: credentials.tls, logger: logger)
        let all: [any Service] = [server] + services
        var configurations = all.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) }
        if let watch = ParentWatch(logger: logger) {
            configurations.append(.init(service: watch, successTerminationBehavior: .gracefullyShutdownGroup))
        }
        let group = ServiceGroup(
            configuration: .init(
                services: configurations, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        logger.info(
            "Starting", metadata: ["version": "\(ClearskyVersion.current)", "listen": "\(configuration.listen)"])
        do {
            try await group.run()
        } catch {
            await exitActions.run()
            throw error
        }
        await exitActions.run()
    }

    /// Runs `action` once `run` has stopped every service and the server (a database's connections close
    /// only after the last request and worker that used them), last registered first.
    public func atExit(_ action: @escaping @Sendable () async -> Void) {
        exitActions.add(action)
    }
}

/// What `ServiceHost.run` does after the service group has stopped.
private final class ExitActions: Sendable {
    private let actions = Mutex<[@Sendable () async -> Void]>([])

    func add(_ action: @escaping @Sendable () async -> Void) { actions.withLock { $0.append(action) } }

    func run() async {
        let all = actions.withLock { actions in
            defer { actions = [] }
            return actions
        }
        for action in all.reversed() { await action() }
    }
}

/// Bootstraps swift-log and the tracer (`W3CTracer`) once per process.
public enum LoggingBootstrap {
    private static let bootstrapped = Mutex(false)

    /// Every logger starts at `level`, the process's configured one, so a library's own loggers
    /// (Hummingbird logs each connection at trace) stay as quiet as ours. Our loggers set their level
    /// again themselves. Every line written inside a trace (an HTTP request, a Wire request, an event
    /// being handled) carries its trace id (`Logger.MetadataProvider.traceId`). The first call decides.
    public static func once(level: Logger.Level = .info) {
        guard
            bootstrapped.withLock({ done in
                defer { done = true }; return !done
            })
        else { return }
        W3CTracer.bootstrap()
        LoggingSystem.bootstrap(
            { label, metadata in
                var handler = StreamLogHandler.standardError(label: label, metadataProvider: metadata)
                handler.logLevel = level
                return handler
            }, metadataProvider: .traceId)
    }
}
