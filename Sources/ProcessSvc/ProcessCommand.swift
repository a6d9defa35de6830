import ArgumentParser
import ServiceRuntime
import Wire

/// The `ProcessSvc` executable.
@main
struct ProcessCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ProcessSvc", abstract: "Clearsky's image operations, dehaze, thumbnails and jobs.")

    @OptionGroup var options: ServiceOptions

    func run() async throws {
        let host = ServiceHost(configuration: try options.resolve(for: .process))
        try await host.run(router: ProcessRouter.make(host: host))
    }
}
