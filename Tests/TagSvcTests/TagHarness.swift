import Contracts
import Detection
import Foundation
import GRDB
import Logging
import Mail
import NetworkAddresses
import PostgresSupport
import ServiceLifecycle
import ServiceRuntime
import Synchronization
import TagIndex
import TestImages
import TestServers
import Wire
import WireTesting

@testable import StoreSvc
@testable import TagSvc

/// A real StoreSvc and TagSvc on port 0 over temporary folders, with clients; the detection consumer and
/// the notifier run only when a test starts them.
struct TagHarness: Sendable {
    let store: WireClient
    let tag: WireClient
    let service: TagService
    let folder: String
    let outbox: Outbox
    let backend: StoreBackend
    /// TagSvc's schema on PostgreSQL.
    let schema: String
    let opened: OpenedDatabases

    static func run(
        _ backend: StoreBackend = .sqlite, settings: TagSettings = TagHarness.quickRetries,
        mail: (any MailDelivery)? = nil, _ body: @escaping @Sendable (TagHarness) async throws -> Void
    ) async throws {
        let opened = OpenedDatabases()
        do {
            try await run(backend, settings: settings, mail: mail, opened: opened, body)
            await opened.closeAll()
        } catch {
            await opened.closeAll()
            throw error
        }
    }

    private static func run(
        _ backend: StoreBackend, settings: TagSettings, mail: (any MailDelivery)?, opened: OpenedDatabases,
        _ body: @escaping @Sendable (TagHarness) async throws -> Void
    ) async throws {
        let schema = PostgresTestServer.schema("tag")
        try await withServiceHost(.store) { storeHost in
            var imageStore: (any ImageStore)?
            if backend == .postgres {
                let postgres = try await PostgresImageStore.open(
                    try DatabaseURL(try PostgresTestServer.url()), schema: PostgresTestServer.schema("store"),
                    logger: Logger(label: "test"))
                opened.add(postgres.database)
                imageStore = postgres
            }
            let storeService = try await StoreService.open(
                folder: storeHost.configuration.stateDirectory, store: imageStore, settings: StoreSettings(),
                logger: storeHost.logger)
            try await withWireServer(
                service: ServiceName.store.rawValue, router: StoreRouter.make(host: storeHost, service: storeService)
            ) { storeServer in
                let storeClient = storeServer.client(poolSize: 2)
                try await withServiceHost(.tag) { host in
                    let folder = host.configuration.stateDirectory
                    let outbox = try Outbox(folder: "\(folder)/outbox")
                    let service = TagService(
                        store: { storeClient }, detector: try await TestModel.detector(),
                        tags: try await Self.database(backend, folder: folder, schema: schema, opened: opened),
                        settings: settings, mail: mail ?? outbox, logger: host.logger)
                    try await withWireServer(
                        service: ServiceName.tag.rawValue, router: TagRouter.make(host: host, service: service)
                    ) { tagServer in
                        try await body(
                            TagHarness(
                                store: storeClient, tag: tagServer.client(), service: service, folder: folder,
                                outbox: outbox, backend: backend, schema: schema, opened: opened))
                    }
                }
            }
        }
    }

    /// Retries after 50 ms, 100 ms, …, at most 5 attempts.
    static var quickRetries: TagSettings {
        var settings = TagSettings()
        (settings.retryDelayMillis, settings.deliveryAttempts) = (50, 5)
        // The tests' receivers listen on loopback, which only the operator's allow-list admits.
        settings.outbound.allowed = [AddressRange("127.0.0.0/8")!]
        return settings
    }

    /// A second TagService over the same database, as after a restart (or a second replica).
    func restarted() async throws -> TagService {
        TagService(
            store: { store }, detector: service.detector,
            tags: try await Self.database(backend, folder: folder, schema: schema, opened: opened),
            settings: service.settings, mail: service.mail, logger: service.logger)
    }

    /// TagSvc's database on `backend`: the SQLite file in `folder`, or `schema` on the test PostgreSQL.
    static func database(_ backend: StoreBackend, folder: String, schema: String, opened: OpenedDatabases)
        async throws -> any TagDatabase
    {
        switch backend {
        case .sqlite:
            return try SQLiteTagDatabase(folder: folder)
        case .postgres:
            let postgres = try await PostgresTagDatabase.open(
                try DatabaseURL(try PostgresTestServer.url()), schema: schema, logger: Logger(label: "test"))
            opened.add(postgres.database)
            return postgres
        }
    }

    func put(_ owner: String, _ bytes: [UInt8], visibility: Visibility = .private) async throws -> ImageRecord {
        try await store.call(
            StoreContract.putImage,
            PutImageRequest(owner: owner, filename: "photo.jpg", visibility: visibility, bytes: bytes))
    }

    /// Polls until the image's tagging is no longer pending, or `timeout` passes.
    func tagged(_ owner: String, _ id: String, timeout: Duration = .seconds(60)) async throws -> ImageTags {
        let deadline = ContinuousClock.now + timeout
        while true {
            let tags = try await tag.call(TagContract.tagsOf, TagsOfRequest(caller: owner, imageIds: [id]))
            if let item = tags.items.first, item.tagging != .pending || ContinuousClock.now > deadline { return item }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    static func owner() -> String { UUID().uuidString.lowercased() }
}

extension TagService {
    /// The SQLite file under the tag database, for tests that look at rows directly.
    var sqlite: DatabasePool { (tags as! SQLiteTagDatabase).database }
}

/// The PostgreSQL clients a harness opened, closed when it ends.
final class OpenedDatabases: Sendable {
    private let schemas = Mutex<[PostgresSchema]>([])

    func add(_ schema: PostgresSchema) { schemas.withLock { $0.append(schema) } }

    func closeAll() async {
        for schema in schemas.withLock({ $0 }) { await schema.close() }
    }
}
