import ArgumentParser
import Contracts
import Foundation
import Logging
import ServiceLifecycle
import ServiceRuntime
import Wire

/// `clearsky up`: the five processes on loopback, restarted when they die, stopped on Ctrl-C.
struct UpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up", abstract: "Run Clearsky on this machine: all five services, supervised.")

    @Option(help: "Data folder (env CLEARSKY_DATA_DIR; default ./data).")
    var dataDir: String?

    @Option(help: "Gateway HTTP port (env CLEARSKY_PORT; default 8080).")
    var port: Int?

    @Option(help: "Wire services listen on base+1 … base+4 (env CLEARSKY_BASE_PORT; default 7100).")
    var basePort: Int?

    @Option(help: "Folder holding the service executables (default: the folder of this executable).")
    var binDir: String?

    @Option(help: "Log level passed to every service (env CLEARSKY_LOG_LEVEL; default info).")
    var logLevel: String?

    @Option(
        help:
            "Internal ranges webhooks may reach, comma-separated CIDRs, passed to TagSvc (env CLEARSKY_WEBHOOK_ALLOW; default none)."
    )
    var webhookAllow: String?

    @Flag(
        help:
            "Plain Wire between the services instead of mutual TLS (they listen on loopback either way; env CLEARSKY_PLAIN_WIRE=1)."
    )
    var plainWire = false

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let plan = try ClusterPlan(
            dataDirectory: dataDir ?? environment["CLEARSKY_DATA_DIR"] ?? "./data",
            gatewayPort: try port ?? environment["CLEARSKY_PORT"].map(parsePort) ?? ServiceName.gateway.defaultPort,
            basePort: try basePort ?? environment["CLEARSKY_BASE_PORT"].map(parsePort) ?? 7100,
            binaryDirectory: binDir ?? ClusterPlan.ownDirectory(),
            logLevel: logLevel ?? environment["CLEARSKY_LOG_LEVEL"] ?? "info",
            webhookAllow: webhookAllow ?? environment["CLEARSKY_WEBHOOK_ALLOW"],
            plainWire: plainWire
                || ["1", "true", "yes"].contains(environment["CLEARSKY_PLAIN_WIRE"]?.lowercased() ?? ""))
        try plan.prepareDataDirectory()
        let level = Logger.Level(rawValue: plan.logLevel.lowercased()) ?? .info
        LoggingBootstrap.once(level: level)
        var logger = Logger(label: "clearsky.up")
        logger.logLevel = level
        let supervisor = Supervisor(plan: plan, logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: supervisor)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    private func parsePort(_ text: String) throws -> Int {
        guard let port = Int(text), (0...65535).contains(port) else { throw ValidationError("Not a port: \(text)") }
        return port
    }
}
