import ArgumentParser
import Contracts
import Detection
import Foundation
import Mail
import PostgresSupport
import ServiceLifecycle
import ServiceRuntime
import TagIndex
import Wire

/// The `TagSvc` executable.
@main
struct TagCommand: WireServiceCommand {
    static let configuration = CommandConfiguration(
        commandName: "TagSvc", abstract: "Clearsky's detection, tag index, queries, subscriptions and notifications.")

    static let service = ServiceName.tag

    @OptionGroup var options: ServiceOptions

    @Option(
        help: "Folder of the YOLOv3-tiny files (env CLEARSKY_MODEL_DIR; default ./models; `make models` fetches them).")
    var modelDir: String?

    @Option(
        help: "SMTP relay host:port for notifications (env CLEARSKY_SMTP_ADDR; default: files in DATA/mail/outbox).")
    var smtp: String?

    @Option(help: "Largest width × height decoded (env CLEARSKY_PIXEL_LIMIT; default 100000000).")
    var pixelLimit: Int?

    @Option(help: "Attempts per notification before it is dropped (env CLEARSKY_DELIVERY_ATTEMPTS; default 8).")
    var deliveryAttempts: Int?

    @Option(
        help:
            "Milliseconds before a failed notification's first retry, doubling after (env CLEARSKY_RETRY_DELAY_MS; default 2000)."
    )
    var retryDelayMs: Int?

    @Option(help: "Threads one detection uses (env CLEARSKY_DETECTION_THREADS; default: every core).")
    var detectionThreads: Int?

    @Option(
        help:
            "Internal ranges webhooks may reach besides public addresses, comma-separated CIDRs (env CLEARSKY_WEBHOOK_ALLOW; default none)."
    )
    var webhookAllow: String?

    @Option(help: "Subscribe requests one account may make in an hour (env CLEARSKY_SUBSCRIBES_PER_HOUR; default 20).")
    var subscribesPerHour: Int?

    @Option(
        help: "Confirmation mails one address may get in a day (env CLEARSKY_CONFIRMATIONS_PER_ADDRESS; default 3).")
    var confirmationsPerAddress: Int?

    @Option(help: "Notifications in flight at once (env CLEARSKY_DELIVERY_CONCURRENCY; default 32).")
    var deliveryConcurrency: Int?

    @Option(
        help:
            "Seconds a replica holds a notification it is sending; if it dies, another sends it after (env CLEARSKY_DELIVERY_LEASE_SECONDS; default 120)."
    )
    var deliveryLeaseSeconds: Int?

    func parts(host: ServiceHost, credentials: WireCredentials) async throws -> (
        router: WireRouter, services: [any Service]
    ) {
        var settings = TagSettings()
        if let limit = try integerSetting(
            pixelLimit, flagName: "pixel-limit", variable: "CLEARSKY_PIXEL_LIMIT", in: 1...Int.max)
        {
            settings.pixelLimit = limit
        }
        if let attempts = try integerSetting(
            deliveryAttempts, flagName: "delivery-attempts", variable: "CLEARSKY_DELIVERY_ATTEMPTS", in: 1...100)
        {
            settings.deliveryAttempts = attempts
        }
        if let delay = try integerSetting(
            retryDelayMs, flagName: "retry-delay-ms", variable: "CLEARSKY_RETRY_DELAY_MS", in: 1...3_600_000)
        {
            settings.retryDelayMillis = Int64(delay)
        }
        if let count = try integerSetting(
            subscribesPerHour, flagName: "subscribes-per-hour", variable: "CLEARSKY_SUBSCRIBES_PER_HOUR",
            in: 1...100_000)
        {
            settings.subscribesPerHour = count
        }
        if let count = try integerSetting(
            confirmationsPerAddress, flagName: "confirmations-per-address",
            variable: "CLEARSKY_CONFIRMATIONS_PER_ADDRESS", in: 1...1_000)
        {
            settings.confirmationsPerAddressPerDay = count
        }
        if let count = try integerSetting(
            deliveryConcurrency, flagName: "delivery-concurrency", variable: "CLEARSKY_DELIVERY_CONCURRENCY",
            in: 1...1_024)
        {
            settings.deliveryConcurrency = count
        }
        if let seconds = try integerSetting(
            deliveryLeaseSeconds, flagName: "delivery-lease-seconds", variable: "CLEARSKY_DELIVERY_LEASE_SECONDS",
            in: 5...3600)
        {
            settings.deliveryLeaseMillis = Int64(seconds) * 1000
        }
        settings.detectionThreads = try integerSetting(
            detectionThreads, flagName: "detection-threads", variable: "CLEARSKY_DETECTION_THREADS", in: 1...256)
        if let allow = webhookAllow ?? ProcessInfo.processInfo.environment["CLEARSKY_WEBHOOK_ALLOW"], !allow.isEmpty {
            do {
                settings.outbound.allowed = try OutboundPolicy.allowList(allow)
            } catch {
                throw ValidationError("--webhook-allow: \(error.message)")
            }
        }
        let mail = try MailConfiguration.delivery(smtp: smtp, dataDirectory: host.configuration.dataDirectory)
        // The model is loaded and checked before anything listens.
        let detector = try settings.detector(modelFolder: modelDir ?? ModelFiles.defaultFolder())
        let store = try host.client(of: .store, credentials: credentials)
        let tags: any TagDatabase
        if let url = host.configuration.databaseURL {
            let postgres = try await PostgresTagDatabase.open(try DatabaseURL(url), logger: host.logger)
            host.atExit { await postgres.database.close() }
            tags = postgres
        } else {
            tags = try SQLiteTagDatabase(folder: host.configuration.stateDirectory)
        }
        let service = TagService(
            store: { store }, detector: detector, tags: tags, settings: settings, mail: mail, logger: host.logger)
        return (
            TagRouter.make(host: host, service: service),
            [
                DetectionConsumer(service: service), Notifier(service: service),
                Pruning(every: host.configuration.pruneInterval, logger: host.logger) {
                    ["deliveries": try await service.pruneDeliveries()]
                },
            ]
        )
    }
}
