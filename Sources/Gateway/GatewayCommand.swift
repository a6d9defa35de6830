import ArgumentParser
import Foundation
import Hummingbird
import Logging
import ServiceRuntime
import Wire

/// The `Gateway` executable: Clearsky's one HTTP surface.
@main
struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "Gateway", abstract: "Clearsky's REST facade in front of the Wire services.")

    @OptionGroup var options: ServiceOptions

    @Option(help: "HTTP port; overrides the port of --listen (env CLEARSKY_PORT).")
    var port: Int?

    @Option(help: "Wire address for health checks, host:port (env CLEARSKY_GATEWAY_WIRE_LISTEN; default base+5).")
    var wireListen: String?

    @Option(help: "Largest image upload in MiB (env CLEARSKY_MAX_UPLOAD_MB; default 50).")
    var maxUploadMB: Int?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        var http = try options.resolve(for: .gateway)
        if let port = try integerSetting(port, flagName: "port", variable: "CLEARSKY_PORT", in: 0...65535) {
            http.listen.port = port
        }
        let defaultWire = "127.0.0.1:\(ServiceName.gatewayWirePort(base: try options.resolvedBasePort()))"
        let wireText = wireListen ?? environment["CLEARSKY_GATEWAY_WIRE_LISTEN"] ?? defaultWire
        guard let wireEndpoint = WireEndpoint(wireText) else {
            throw ValidationError("--wire-listen must be host:port, got '\(wireText)'")
        }
        var wire = http
        wire.listen = wireEndpoint
        let host = ServiceHost(configuration: wire)
        let backends = Backends(peers: http.peers, secret: try host.prepare())
        let uploadMB =
            try integerSetting(
                maxUploadMB, flagName: "max-upload-mb", variable: "CLEARSKY_MAX_UPLOAD_MB", in: 1...60,
                why: "a Wire frame holds at most 64 MiB") ?? 50
        let app = GatewayApp.make(
            configuration: http, backends: backends, logger: host.logger, uploadLimit: uploadMB * 1024 * 1024)
        // The HTTP application and the Wire `health` server share one ServiceGroup.
        try await host.run(router: GatewayRouter.make(host: host), services: [app])
    }
}
