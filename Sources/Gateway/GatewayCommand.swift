import ArgumentParser
import Contracts
import Foundation
import Hummingbird
import Logging
import NetworkAddresses
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

    @Option(help: "The URL people reach Clearsky at, for links in mails and webhooks (env CLEARSKY_PUBLIC_URL).")
    var publicURL: String?

    @Option(
        help:
            "Uploads, processing and recognition requests one user may have in flight (env CLEARSKY_USER_IN_FLIGHT; default 4)."
    )
    var userInFlight: Int?

    @Option(
        help:
            "Uploads, processing and recognition requests in flight for everyone (env CLEARSKY_TOTAL_IN_FLIGHT; default 32)."
    )
    var totalInFlight: Int?

    @Option(help: "Open HTTP connections at once (env CLEARSKY_MAX_CONNECTIONS; default 4096).")
    var maxConnections: Int?

    @Option(
        help:
            "Seconds the token verification keys are cached; a revoked key stops working within them (env CLEARSKY_KEY_CACHE_SECONDS; 1-60, default 30)."
    )
    var keyCacheSeconds: Int?

    @Option(
        help:
            "Comma-separated proxy addresses or CIDR ranges whose X-Forwarded-For names the client (env CLEARSKY_TRUSTED_PROXIES; default none)."
    )
    var trustedProxies: String?

    @Option(help: "Folder of the web UI (env CLEARSKY_WEB_DIR; default: share/clearsky/web or the repository's web/).")
    var webDir: String?

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
        let credentials = try host.prepare()
        let backends = Backends(replicas: http.peers, credentials: credentials)
        let uploadMB =
            try integerSetting(
                maxUploadMB, flagName: "max-upload-mb", variable: "CLEARSKY_MAX_UPLOAD_MB", in: 1...60,
                why: "a Wire frame holds at most 64 MiB") ?? 50
        var settings = GatewaySettings()
        settings.uploadLimit = uploadMB * 1024 * 1024
        if let text = publicURL ?? environment["CLEARSKY_PUBLIC_URL"], !text.isEmpty {
            guard let url = GatewaySettings.checkedPublicURL(text) else {
                throw ValidationError(
                    "--public-url must be an http(s) URL like https://photos.example.org, got '\(text)'")
            }
            settings.publicURL = url
        } else {
            settings.publicURL =
                "http://\(http.listen.host == "0.0.0.0" ? "localhost" : http.listen.host):\(http.listen.port)"
        }
        if let count = try integerSetting(
            userInFlight, flagName: "user-in-flight", variable: "CLEARSKY_USER_IN_FLIGHT", in: 1...1000)
        {
            settings.heavyRequestsPerUser = count
        }
        if let count = try integerSetting(
            totalInFlight, flagName: "total-in-flight", variable: "CLEARSKY_TOTAL_IN_FLIGHT", in: 1...100_000)
        {
            settings.heavyRequestsTotal = count
        }
        if let seconds = try integerSetting(
            keyCacheSeconds, flagName: "key-cache-seconds", variable: "CLEARSKY_KEY_CACHE_SECONDS", in: 1...60)
        {
            settings.keyCacheAge = .seconds(seconds)
        }
        if let count = try integerSetting(
            maxConnections, flagName: "max-connections", variable: "CLEARSKY_MAX_CONNECTIONS", in: 1...1_000_000)
        {
            settings.maxConnections = count
        }
        if let text = trustedProxies ?? environment["CLEARSKY_TRUSTED_PROXIES"], !text.isEmpty {
            settings.trustedProxies = try text.split(separator: ",").map { item in
                guard let range = AddressRange(String(item)) else {
                    throw ValidationError("--trusted-proxies takes addresses or CIDR ranges, got '\(item)'")
                }
                return range
            }
        }
        if let folder = webDir ?? WebAssets.defaultFolder() {
            do {
                settings.web = try WebAssets(folder: folder)
            } catch {
                host.logger.warning("No web UI", metadata: ["why": "\(error)"])
            }
        } else {
            host.logger.warning("No web UI: no web folder found (set CLEARSKY_WEB_DIR)")
        }
        settings.restartsFile = environment["CLEARSKY_RESTARTS_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        let app = GatewayApp.make(configuration: http, backends: backends, logger: host.logger, settings: settings)
        // The HTTP application and the Wire `health` server share one ServiceGroup.
        try await host.run(router: GatewayRouter.make(host: host), services: [app], credentials: credentials)
    }
}
