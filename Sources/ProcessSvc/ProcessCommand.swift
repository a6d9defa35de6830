import ArgumentParser
import Contracts
import Foundation
import PostgresSupport
import ServiceLifecycle
import ServiceRuntime
import Wire

/// The `ProcessSvc` executable.
@main
struct ProcessCommand: WireServiceCommand {
    static let configuration = CommandConfiguration(
        commandName: "ProcessSvc", abstract: "Clearsky's image operations, dehaze, thumbnails and jobs.")

    static let service = ServiceName.process

    @OptionGroup var options: ServiceOptions

    @Option(help: "Job workers (env CLEARSKY_WORKERS; default: the number of cores).")
    var workers: Int?

    @Option(help: "Largest width × height decoded (env CLEARSKY_PIXEL_LIMIT; default 100000000).")
    var pixelLimit: Int?

    @Option(
        help: "Largest width × height any processing step may produce (env CLEARSKY_PIXEL_BUDGET; default 100000000).")
    var pixelBudget: Int?

    @Option(help: "Jobs one user may have pending or running at once (env CLEARSKY_MAX_QUEUED_JOBS; default 100).")
    var maxQueuedJobs: Int?

    @Option(
        help:
            "Seconds a claimed job stays this replica's without a renewal; a job whose replica died runs again after it (env CLEARSKY_JOB_LEASE_SECONDS; default 30)."
    )
    var jobLeaseSeconds: Int?

    func parts(host: ServiceHost, credentials: WireCredentials) async throws -> (
        router: WireRouter, services: [any Service]
    ) {
        var settings = ProcessSettings()
        if let count = try integerSetting(workers, flagName: "workers", variable: "CLEARSKY_WORKERS", in: 1...256) {
            settings.workers = count
        }
        if let limit = try integerSetting(
            pixelLimit, flagName: "pixel-limit", variable: "CLEARSKY_PIXEL_LIMIT", in: 1...Int.max)
        {
            settings.pixelLimit = limit
        }
        if let budget = try integerSetting(
            pixelBudget, flagName: "pixel-budget", variable: "CLEARSKY_PIXEL_BUDGET", in: 1...Int.max)
        {
            settings.pixelBudget = budget
        }
        if let count = try integerSetting(
            maxQueuedJobs, flagName: "max-queued-jobs", variable: "CLEARSKY_MAX_QUEUED_JOBS", in: 1...1_000_000)
        {
            settings.maxQueuedJobsPerOwner = count
        }
        if let seconds = try integerSetting(
            jobLeaseSeconds, flagName: "job-lease-seconds", variable: "CLEARSKY_JOB_LEASE_SECONDS", in: 3...3600)
        {
            settings.jobLease = .seconds(seconds)
        }
        let store = try host.client(of: .store, credentials: credentials)
        let jobs: any JobStore
        if let url = host.configuration.databaseURL {
            let postgres = try await PostgresJobStore.open(try DatabaseURL(url), logger: host.logger)
            host.atExit { await postgres.database.close() }
            jobs = postgres
        } else {
            jobs = try SQLiteJobStore(folder: host.configuration.stateDirectory)
        }
        let service = ProcessService(store: { store }, jobs: jobs, settings: settings, logger: host.logger)
        return (
            ProcessRouter.make(host: host, service: service),
            [JobWorkers(service: service), ThumbnailConsumer(service: service)]
        )
    }
}
