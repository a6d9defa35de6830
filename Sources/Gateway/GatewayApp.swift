import Hummingbird
import Logging
import Prometheus
import ServiceRuntime
import Wire

/// Builds the gateway's HTTP application: routes, middleware and metrics.
enum GatewayApp {
    static func make(
        configuration: ServiceConfiguration, backends: Backends, logger: Logger
    ) -> some ApplicationProtocol {
        Application(
            router: router(backends: backends, registry: PrometheusCollectorRegistry()),
            configuration: .init(
                address: .hostname(configuration.listen.host, port: configuration.listen.port), serverName: "Clearsky"),
            logger: logger)
    }

    static func router(
        backends: Backends, registry: PrometheusCollectorRegistry,
        verifier: TokenVerifier? = nil
    ) -> Router<GatewayContext> {
        let router = Router(context: GatewayContext.self)
        let verifier = verifier ?? TokenVerifier { try backends.client(.auth) }
        router.add(middleware: RequestMetricsMiddleware(registry: registry))
        router.add(middleware: APIErrorMiddleware())
        HealthController(backends: backends, registry: registry).register(on: router)
        AuthController(backends: backends, verifier: verifier).register(on: router)
        router.get("/metrics") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        return router
    }
}
