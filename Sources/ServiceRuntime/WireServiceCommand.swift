import ArgumentParser
import Contracts
import ServiceLifecycle
import Wire

/// An executable that runs one Wire service: resolve its options, assemble the service, serve until a signal.
public protocol WireServiceCommand: AsyncParsableCommand {
    /// Which service this executable is.
    static var service: ServiceName { get }
    /// The flags every service takes.
    var options: ServiceOptions { get }
    /// The one place a service is assembled: its settings from the options, its stores opened in the
    /// state folder that `host.prepare()` made, clients of its peers with `credentials`, the service, the router
    /// that binds its methods (`*Router.make`, which registers `health` too), and the background work
    /// (workers, event consumers) that runs beside it. What must be closed once everything has stopped
    /// (a database's connections) goes to `host.atExit`.
    func parts(host: ServiceHost, credentials: WireCredentials) async throws -> (
        router: WireRouter, services: [any Service]
    )
}

extension WireServiceCommand {
    public func run() async throws {
        let host = ServiceHost(configuration: try options.resolve(for: Self.service))
        let credentials = try host.prepare()
        let (router, services) = try await parts(host: host, credentials: credentials)
        try await host.run(router: router, services: services, credentials: credentials)
    }
}
