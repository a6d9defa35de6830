import Contracts
import Detection
import Foundation
import GRDB
import Mail
import NetworkAddresses
import ServiceLifecycle
import ServiceRuntime
import TagIndex
import TestImages
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

    static func run(
        settings: TagSettings = TagHarness.quickRetries, mail: (any MailDelivery)? = nil,
        _ body: @escaping @Sendable (TagHarness) async throws -> Void
    ) async throws {
        try await withServiceHost(.store) { storeHost in
            let storeService = try await StoreService.open(
                folder: storeHost.configuration.stateDirectory, settings: StoreSettings(), logger: storeHost.logger)
            try await withWireServer(
                service: ServiceName.store.rawValue, router: StoreRouter.make(host: storeHost, service: storeService)
            ) { storeServer in
                let storeClient = storeServer.client(poolSize: 2)
                try await withServiceHost(.tag) { host in
                    let folder = host.configuration.stateDirectory
                    let outbox = try Outbox(folder: "\(folder)/outbox")
                    let service = TagService(
                        store: { storeClient }, detector: try await TestModel.detector(),
                        tags: try SQLiteTagDatabase(folder: folder),
                        settings: settings, mail: mail ?? outbox, logger: host.logger)
                    try await withWireServer(
                        service: ServiceName.tag.rawValue, router: TagRouter.make(host: host, service: service)
                    ) { tagServer in
                        try await body(
                            TagHarness(
                                store: storeClient, tag: tagServer.client(), service: service, folder: folder,
                                outbox: outbox))
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

    /// A second TagService over the same database, as after a restart.
    func restarted() throws -> TagService {
        TagService(
            store: { store }, detector: service.detector, tags: try SQLiteTagDatabase(folder: folder),
            settings: service.settings, mail: service.mail, logger: service.logger)
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
