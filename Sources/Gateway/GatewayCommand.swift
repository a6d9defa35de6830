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

    func run() async throws {
        var configuration = try options.resolve(for: .gateway)
        if let port = port ?? ProcessInfo.processInfo.environment["CLEARSKY_PORT"].flatMap(Int.init) {
            configuration.listen.port = port
        }
        let host = ServiceHost(configuration: configuration)
        let backends = Backends(peers: configuration.peers, secret: try host.prepare())
        let app = GatewayApp.make(configuration: configuration, backends: backends, logger: host.logger)
        try await app.runService()
    }
}
