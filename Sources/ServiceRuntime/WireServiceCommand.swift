import ArgumentParser
import Wire

/// An executable that runs one Wire service: resolve its options, build its router, serve until a signal.
public protocol WireServiceCommand: AsyncParsableCommand {
    /// Which service this executable is.
    static var service: ServiceName { get }
    /// The flags every service takes.
    var options: ServiceOptions { get }
    /// Every Wire method the service serves (opening its stores as needed).
    func router(host: ServiceHost) throws -> WireRouter
}

extension WireServiceCommand {
    public func run() async throws {
        let host = ServiceHost(configuration: try options.resolve(for: Self.service))
        try await host.run(router: router(host: host))
    }
}
