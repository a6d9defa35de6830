import ArgumentParser
import ServiceRuntime
import Wire

/// The `StoreSvc` executable.
@main
struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "StoreSvc",
        abstract: "Clearsky's image blobs and metadata, keys, derivatives, cache and event log.")

    @OptionGroup var options: ServiceOptions

    func run() async throws {
        let host = ServiceHost(configuration: try options.resolve(for: .store))
        try await host.run(router: StoreRouter.make(host: host))
    }
}
