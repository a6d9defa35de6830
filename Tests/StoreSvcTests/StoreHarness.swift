import Contracts
import Foundation
import Logging
import PostgresSupport
import ServiceRuntime
import TestServers
import Wire
import WireTesting

@testable import StoreSvc

/// A real StoreSvc on port 0 over a temporary data folder, and a client of it.
struct StoreHarness: Sendable {
    let client: WireClient
    let service: StoreService
    let folder: String

    static func run(
        _ backend: StoreBackend = .sqlite, settings: StoreSettings = StoreSettings(),
        _ body: @escaping @Sendable (StoreHarness) async throws -> Void
    ) async throws {
        try await withServiceHost(.store) { host in
            let folder = host.configuration.stateDirectory
            try await withImageStore(backend, folder: folder) { store in
                let service = try await StoreService.open(
                    folder: folder, store: store, settings: settings, logger: host.logger)
                try await withWireServer(
                    service: ServiceName.store.rawValue, router: StoreRouter.make(host: host, service: service)
                ) { harness in
                    try await body(StoreHarness(client: harness.client(), service: service, folder: folder))
                }
            }
        }
    }

    /// The owner's blobs that rows name.
    func blobsInUse(_ owner: String) async throws -> Set<String> {
        Set(
            try await service.store.blobsInUse().filter { $0.hasPrefix("\(owner)/") }.map {
                String($0.dropFirst(owner.utf8.count + 1))
            })
    }

    func call<Request, Response>(_ method: Method<Request, Response>, _ request: Request) async throws -> Response {
        try await client.call(method, request)
    }

    func put(_ owner: String, _ bytes: [UInt8], key: String? = nil, visibility: Visibility = .private) async throws
        -> ImageRecord
    {
        try await call(
            StoreContract.putImage,
            PutImageRequest(owner: owner, key: key, filename: "photo.jpg", visibility: visibility, bytes: bytes))
    }

    /// The blob files on disk.
    var blobFiles: [String] {
        let root = "\(folder)/blobs"
        return (FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? []).filter {
            $0.split(separator: "/").count == 3
        }
    }

    static func owner() -> String { UUID().uuidString.lowercased() }
}

/// An image store on `backend`: SQLite in `folder`, or PostgreSQL in a new schema (`schema`, when given,
/// is opened again: two replicas' stores on one database).
func withImageStore(
    _ backend: StoreBackend, folder: String, schema: String = PostgresTestServer.schema("store"),
    _ body: (any ImageStore) async throws -> Void
) async throws {
    switch backend {
    case .sqlite:
        try await body(try SQLiteImageStore(path: "\(folder)/images.sqlite"))
    case .postgres:
        let store = try await PostgresImageStore.open(
            try DatabaseURL(try PostgresTestServer.url()), schema: schema, logger: Logger(label: "test"))
        try await store.database.closing { try await body(store) }
    }
}
