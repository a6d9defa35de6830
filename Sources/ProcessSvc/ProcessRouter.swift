import ServiceRuntime
import Wire

/// Every Wire method ProcessSvc serves, bound to its handlers.
enum ProcessRouter {
    static func make(host: ServiceHost) -> WireRouter {
        var router = WireRouter()
        router.register(CommonContract.health, host.healthHandler())
        return router
    }
}
