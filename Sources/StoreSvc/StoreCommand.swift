import ArgumentParser
import Contracts
import Foundation
import PostgresSupport
import ServiceLifecycle
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

    @Option(
        help:
            "Days events are kept once every consumer has handled them (env CLEARSKY_EVENT_RETENTION_DAYS; default 7)."
    )
    var eventRetentionDays: Int?

    @Option(
        help:
            "Seconds an event consumer's replica keeps its share of the log after its last poll; another takes it over after (env CLEARSKY_CONSUMER_LEASE_SECONDS; default 15)."
    )
    var consumerLeaseSeconds: Int?

    func parts(host: ServiceHost, credentials: WireCredentials) async throws -> (
        router: WireRouter, services: [any Service]
    ) {
        var settings = StoreSettings()
        if let megabytes = try integerSetting(
            cacheMB, flagName: "cache-mb", variable: "CLEARSKY_CACHE_MB", in: 0...(1 << 40))
        {
            settings.cacheCapacity = megabytes * 1024 * 1024
        }
        if let limit = try integerSetting(
            pixelLimit, flagName: "pixel-limit", variable: "CLEARSKY_PIXEL_LIMIT", in: 1...Int.max)
        {
            settings.pixelLimit = limit
        }
        if let days = try integerSetting(
            eventRetentionDays, flagName: "event-retention-days", variable: "CLEARSKY_EVENT_RETENTION_DAYS",
            in: 1...3650)
        {
            settings.eventRetention = Int64(days) * 86_400_000
        }
        if let seconds = try integerSetting(
            consumerLeaseSeconds, flagName: "consumer-lease-seconds", variable: "CLEARSKY_CONSUMER_LEASE_SECONDS",
            in: 3...3600)
        {
            settings.consumerLease = Int64(seconds) * 1000
        }
        var store: (any ImageStore)?
        if let url = host.configuration.databaseURL {
            let postgres = try await PostgresImageStore.open(try DatabaseURL(url), logger: host.logger)
            host.atExit { await postgres.database.close() }
            store = postgres
        }
        let service = try await StoreService.open(
            folder: host.configuration.stateDirectory, store: store, settings: settings, logger: host.logger)
        let pruning = Pruning(every: host.configuration.pruneInterval, logger: host.logger) {
            ["events": try await service.pruneEvents()]
        }
        return (StoreRouter.make(host: host, service: service), [pruning])
    }
}
