import ArgumentParser
import Contracts
import ServiceLifecycle
import Wire

/// An executable that runs one Wire service: resolve its options, build its router, serve until a signal.
public protocol WireServiceCommand: AsyncParsableCommand {
    /// Which service this executable is.
    static var service: ServiceName { get }
    /// The flags every service takes.
    var options: ServiceOptions { get }
    /// Every Wire method the service serves (opening its stores as needed), and the background work
    /// (workers, event consumers) that runs beside it.
    func parts(host: ServiceHost) throws -> (router: WireRouter, services: [any Service])
}

extension WireServiceCommand {
    public func run() async throws {
        let host = ServiceHost(configuration: try options.resolve(for: Self.service))
        let (router, services) = try parts(host: host)
        try await host.run(router: router, services: services)
    }
}
