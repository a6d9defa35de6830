import ServiceRuntime
import Wire

/// Every Wire method AuthSvc serves, bound to its handlers.
enum AuthRouter {
    static func make(host: ServiceHost) -> WireRouter {
        var router = WireRouter()
        router.register(CommonContract.health, host.healthHandler())
        return router
    }
}
