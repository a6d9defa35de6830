import ArgumentParser
import ServiceRuntime
import Wire

/// The `ProcessSvc` executable.
@main
struct ProcessCommand: WireServiceCommand {
    static let configuration = CommandConfiguration(
        commandName: "ProcessSvc", abstract: "Clearsky's image operations, dehaze, thumbnails and jobs.")

    static let service = ServiceName.process

    @OptionGroup var options: ServiceOptions

    func router(host: ServiceHost) -> WireRouter { ProcessRouter.make(host: host) }
}
