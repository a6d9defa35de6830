import Contracts
import Detection
import Foundation
import Mail
import ServiceLifecycle
import ServiceRuntime
import TagIndex
import Wire

/// Every Wire method TagSvc serves, bound to its handlers.
enum TagRouter {
    static func make(host: ServiceHost, service: TagService) -> WireRouter {
        var router = WireRouter()
        router.registerOnEventLoop(CommonContract.health, host.healthHandler())
        router.register(TagContract.tagsOf) { request, _ in try await service.tagsOf(request) }
        router.register(TagContract.query) { request, _ in try await service.query(request) }
        router.register(TagContract.listTags) { request, _ in try await service.listTags(owner: request.owner) }
        router.register(TagContract.setTags) { request, _ in try await service.setTags(request) }
        router.register(TagContract.bulkEdit) { request, _ in try await service.bulkEdit(request) }
        router.register(TagContract.recognize) { request, _ in try await service.recognize(request) }
        router.register(TagContract.similar) { request, _ in try await service.similar(request) }
        router.register(TagContract.subscribe) { request, _ in try await service.subscribe(request) }
        router.register(TagContract.listSubscriptions) { request, _ in
            try await service.subscriptions(owner: request.owner)
        }
        router.register(TagContract.getSubscription) { request, _ in try await service.subscription(request) }
        router.register(TagContract.unsubscribe) { request, _ in
            try await service.unsubscribe(request)
            return Empty()
        }
        router.register(TagContract.confirmSubscription) { request, _ in try await service.confirm(request) }
        router.register(TagContract.deleteOwner) { request, _ in try await service.deleteOwner(request.owner) }
        return router
    }
}
