import Contracts
import Foundation
import ServiceLifecycle
import ServiceRuntime
import TestServers
import Wire
import WireTesting

@testable import ProcessSvc
@testable import StoreSvc

/// A real StoreSvc and ProcessSvc on port 0 over temporary folders, with clients; job workers and the
/// thumbnail consumer run only when a test starts them.
struct ProcessHarness: Sendable {
    let store: WireClient
    let process: WireClient
    let service: ProcessService

    static func run(
        settings: ProcessSettings = ProcessSettings(), backend: StoreBackend = .sqlite,
        _ body: @escaping @Sendable (ProcessHarness) async throws -> Void
    ) async throws {
        try await withServiceHost(.store) { storeHost in
            let storeFolder = storeHost.configuration.stateDirectory
            let storeService = try await StoreService.open(
                folder: storeFolder, settings: StoreSettings(), logger: storeHost.logger)
            try await withWireServer(
                service: ServiceName.store.rawValue, router: StoreRouter.make(host: storeHost, service: storeService)
            ) { storeServer in
                let storeClient = storeServer.client(poolSize: 2)
                try await withServiceHost(.process) { host in
                    try await JobStoreTests.withStore(backend, folder: host.configuration.stateDirectory) { jobs in
                        let service = ProcessService(
                            store: { storeClient }, jobs: jobs, settings: settings, logger: host.logger)
                        try await withWireServer(
                            service: ServiceName.process.rawValue,
                            router: ProcessRouter.make(host: host, service: service)
                        ) { processServer in
                            try await body(
                                ProcessHarness(
                                    store: storeClient, process: processServer.client(), service: service))
                        }
                    }
                }
            }
        }
    }

    func put(_ owner: String, _ bytes: [UInt8], filename: String = "photo.jpg") async throws -> ImageRecord {
        try await store.call(StoreContract.putImage, PutImageRequest(owner: owner, filename: filename, bytes: bytes))
    }

    /// Polls the job until it is finished or `timeout` passes.
    func finished(_ request: JobRequest, timeout: Duration = .seconds(60)) async throws -> JobRecord {
        let deadline = ContinuousClock.now + timeout
        while true {
            let job = try await process.call(ProcessContract.getJob, request)
            if job.status == .completed || job.status == .error || ContinuousClock.now > deadline { return job }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    static func owner() -> String { UUID().uuidString.lowercased() }
}
