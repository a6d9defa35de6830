import ArgumentParser
import ServiceRuntime
import Wire

/// The `TagSvc` executable.
@main
struct TagCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "TagSvc", abstract: "Clearsky's detection, tag index, queries, subscriptions and notifications.")

    @OptionGroup var options: ServiceOptions

    func run() async throws {
        let host = ServiceHost(configuration: try options.resolve(for: .tag))
        try await host.run(router: TagRouter.make(host: host))
    }
}
