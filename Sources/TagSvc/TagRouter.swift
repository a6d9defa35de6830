import ServiceRuntime
import Wire

/// Every Wire method TagSvc serves, bound to its handlers.
enum TagRouter {
    static func make(host: ServiceHost) -> WireRouter {
        var router = WireRouter()
        router.register(CommonContract.health, host.healthHandler())
        return router
    }
}
