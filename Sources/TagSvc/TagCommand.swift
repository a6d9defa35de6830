import ArgumentParser
import ServiceRuntime
import Wire

/// The `TagSvc` executable.
@main
struct TagCommand: WireServiceCommand {
    static let configuration = CommandConfiguration(
        commandName: "TagSvc", abstract: "Clearsky's detection, tag index, queries, subscriptions and notifications.")

    static let service = ServiceName.tag

    @OptionGroup var options: ServiceOptions

    func router(host: ServiceHost) -> WireRouter { TagRouter.make(host: host) }
}
