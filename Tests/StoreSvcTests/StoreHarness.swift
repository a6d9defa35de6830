import Contracts
import Foundation
import ServiceRuntime
import Wire
import WireTesting

@testable import StoreSvc

/// A real StoreSvc on port 0 over a temporary data folder, and a client of it.
struct StoreHarness: Sendable {
    let client: WireClient
    let service: StoreService
    let folder: String

    static func run(
        settings: StoreSettings = StoreSettings(), _ body: @escaping @Sendable (StoreHarness) async throws -> Void
    ) async throws {
        try await withServiceHost(.store) { host in
            let folder = host.configuration.stateDirectory
            let service = try StoreService.open(folder: folder, settings: settings, logger: host.logger)
            try await withWireServer(
                service: ServiceName.store.rawValue, router: StoreRouter.make(host: host, service: service)
            ) { harness in
                try await body(StoreHarness(client: harness.client(), service: service, folder: folder))
            }
        }
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
