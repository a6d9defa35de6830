import ArgumentParser
import AsyncHTTPClient
import Foundation

/// `clearsky health`: asks a running gateway how its services are.
struct HealthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health", abstract: "Print the health of a running Clearsky (exit status 1 unless all green).")

    @Option(help: "Gateway URL (env CLEARSKY_URL; default http://127.0.0.1:8080).")
    var url: String?

    func run() async throws {
        let base = url ?? ProcessInfo.processInfo.environment["CLEARSKY_URL"] ?? "http://127.0.0.1:8080"
        let response = try await HTTPClient.shared.execute(
            HTTPClientRequest(url: "\(base)/healthz"), timeout: .seconds(5))
        let body = try await response.body.collect(upTo: 1 << 20)
        print(String(buffer: body))
        if response.status != .ok { throw ExitCode(1) }
    }
}
