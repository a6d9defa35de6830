import Contracts
import Foundation
import ServiceLifecycle
import ServiceRuntime
import Wire

/// Every Wire method ProcessSvc serves, bound to its handlers.
enum ProcessRouter {
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
