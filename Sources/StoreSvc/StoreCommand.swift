import ArgumentParser
import ServiceRuntime
import Wire

/// The `StoreSvc` executable.
@main
struct StoreCommand: WireServiceCommand {
    static let configuration = CommandConfiguration(
        commandName: "StoreSvc",
        abstract: "Clearsky's image blobs and metadata, keys, derivatives, cache and event log.")

    static let service = ServiceName.store

    @OptionGroup var options: ServiceOptions

    func router(host: ServiceHost) -> WireRouter { StoreRouter.make(host: host) }
}
