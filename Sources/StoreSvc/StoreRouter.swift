import Contracts
import Foundation
import ServiceRuntime
import Wire

/// Every Wire method StoreSvc serves, bound to its handlers.
enum StoreRouter {
    /// Binds each method to `service` (which `StoreCommand.parts` opened), and `health`.
    static func make(host: ServiceHost, service: StoreService) -> WireRouter {
        var router = WireRouter()
        router.registerOnEventLoop(CommonContract.health, host.healthHandler())
        router.register(StoreContract.putImage) { request, _ in try await service.putImage(request) }
        router.register(StoreContract.getImage) { request, _ in try await service.visibleImage(request).record }
        router.register(StoreContract.imageByKey) { request, _ in try await service.image(byKey: request) }
        router.register(StoreContract.imageByThumbnail) { request, _ in try await service.image(byThumbnail: request) }
        router.register(StoreContract.listImages) { request, _ in
            try await service.list(owner: request.owner, page: request.page)
        }
        router.register(StoreContract.gallery) { request, _ in try await service.list(owner: nil, page: request) }
        router.register(StoreContract.content) { request, _ in try await service.content(request) }
        router.register(StoreContract.deleteImage) { request, _ in
            try await service.deleteImage(request)
            return Empty()
        }
        router.register(StoreContract.deleteOwner) { request, _ in try await service.deleteOwner(request) }
        router.register(StoreContract.putDerivative) { request, _ in try await service.putDerivative(request) }
        router.register(StoreContract.derivative) { request, _ in try await service.derivative(request) }
        router.register(StoreContract.pollEvents) { request, _ in try await service.poll(request) }
        router.register(StoreContract.commitEvents) { request, _ in
            try await service.commit(request)
            return Empty()
        }
        router.register(StoreContract.images) { request, _ in try await service.images(request) }
        router.register(StoreContract.recordTagsChanged) { request, _ in
            try await service.recordTagsChanged(request)
            return Empty()
        }
        router.register(StoreContract.cacheStats) { _, _ in service.cache.stats }
        router.register(StoreContract.createShare) { request, _ in try await service.createShare(request) }
        router.register(StoreContract.deleteShare) { request, _ in
            try await service.deleteShare(request)
            return Empty()
        }
        router.register(StoreContract.sharedImage) { request, _ in try await service.sharedImage(request) }
        router.register(StoreContract.readEvents) { request, _ in try await service.readEvents(request) }
        router.register(StoreContract.recordJobChanged) { request, _ in
            try await service.recordJobChanged(request)
            return Empty()
        }
        return router
    }
}
