import Contracts
import Foundation
import ServiceLifecycle
import ServiceRuntime
import Wire

/// Every Wire method ProcessSvc serves, bound to its handlers, and its background services.
enum ProcessRouter {
    /// Opens the jobs database under the service's state folder and connects to StoreSvc.
    static func make(host: ServiceHost, settings: ProcessSettings = ProcessSettings()) throws -> (
        router: WireRouter, services: [any Service]
    ) {
        let configuration = host.configuration
        let folder = configuration.stateDirectory
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        guard let endpoint = configuration.peers[.store] else {
            throw WireError(.failedPrecondition, "ProcessSvc needs StoreSvc's address (--store)")
        }
        let storeClient = WireClient(
            endpoint: endpoint, service: ServiceName.store.rawValue,
            secret: try ClusterSecret.load(from: configuration.secretFile))
        let service = ProcessService(
            store: { storeClient }, jobs: try JobStore(folder: folder), settings: settings,
            logger: host.logger)
        return (
            make(host: host, service: service), [JobWorkers(service: service), ThumbnailConsumer(service: service)]
        )
    }

    static func make(host: ServiceHost, service: ProcessService) -> WireRouter {
        var router = WireRouter()
        router.registerOnEventLoop(CommonContract.health, host.healthHandler())
        router.register(ProcessContract.process) { request, _ in try await service.process(request) }
        router.register(ProcessContract.thumbnail) { request, _ in try await service.thumbnail(request) }
        router.register(ProcessContract.createJob) { request, _ in try await service.createJob(request) }
        router.register(ProcessContract.listJobs) { request, _ in try await service.listJobs(request) }
        router.register(ProcessContract.getJob) { request, _ in try await service.job(request) }
        router.register(ProcessContract.deleteJob) { request, _ in
            try await service.deleteJob(request)
            return Empty()
        }
        router.register(ProcessContract.clearJobs) { request, _ in try await service.clearJobs(owner: request.owner) }
        router.register(ProcessContract.deleteOwner) { request, _ in
            try await service.clearJobs(owner: request.owner, includeUnfinished: true)
        }
        return router
    }
}
