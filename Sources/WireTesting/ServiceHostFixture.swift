import Contracts
import Foundation
import ServiceRuntime
import Wire

/// Runs `body` with a `ServiceHost` whose data folder is a fresh temporary directory, removed afterwards.
public func withServiceHost<T>(
    _ service: ServiceName, _ body: (ServiceHost) async throws -> T
) async throws -> T {
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let secretFile = "\(folder)/cluster.secret"
    try WireHarness.secret.write(to: secretFile)
    let host = ServiceHost(
        configuration: ServiceConfiguration(
            service: service, listen: WireEndpoint(host: "127.0.0.1", port: 0), dataDirectory: folder,
            secretFile: secretFile, logLevel: .warning))
    _ = try host.prepare()
    return try await body(host)
}

/// A new empty folder under the system's temporary directory.
public func temporaryFolder() throws -> String {
    let path = FileManager.default.temporaryDirectory
        .appendingPathComponent("clearsky-test-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
