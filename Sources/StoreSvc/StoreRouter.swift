import ServiceRuntime
import Wire

/// Every Wire method StoreSvc serves, bound to its handlers.
enum StoreRouter {
    static func make(host: ServiceHost) -> WireRouter {
        var router = WireRouter()
        router.register(CommonContract.health, host.healthHandler())
        return router
    }
}
