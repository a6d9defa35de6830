import ArgumentParser
import Foundation
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

    @Option(help: "Memory for cached blobs and thumbnails, in MiB (env CLEARSKY_CACHE_MB; default 256).")
    var cacheMB: Int?

    @Option(help: "Largest width × height accepted at upload (env CLEARSKY_PIXEL_LIMIT; default 100000000).")
    var pixelLimit: Int?

    func router(host: ServiceHost) throws -> WireRouter {
        let environment = ProcessInfo.processInfo.environment
        var settings = StoreSettings()
        if let megabytes = cacheMB ?? environment["CLEARSKY_CACHE_MB"].flatMap(Int.init) {
            guard megabytes >= 0 else { throw ValidationError("--cache-mb must not be negative") }
            settings.cacheCapacity = megabytes * 1024 * 1024
        }
        if let limit = pixelLimit ?? environment["CLEARSKY_PIXEL_LIMIT"].flatMap(Int.init) {
            guard limit >= 1 else { throw ValidationError("--pixel-limit must be at least 1") }
            settings.pixelLimit = limit
        }
        return try StoreRouter.make(host: host, settings: settings)
    }
}
