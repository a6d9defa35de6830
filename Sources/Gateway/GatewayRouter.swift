import Contracts
import ServiceRuntime
import Wire

/// The Wire methods the gateway itself serves: `health`, like every process of the cluster.
enum GatewayRouter {
    static func make(host: ServiceHost) -> WireRouter {
        var router = WireRouter()
        router.registerOnEventLoop(CommonContract.health, host.healthHandler())
        return router
    }
}
