import Hummingbird
import Logging
import Prometheus
import ServiceRuntime
import Wire

/// Builds the gateway's HTTP application: routes, middleware and metrics.
enum GatewayApp {
    /// Largest image upload: 50 MiB.
    static let defaultUploadLimit = 50 * 1024 * 1024

    static func make(
        configuration: ServiceConfiguration, backends: Backends, logger: Logger,
        uploadLimit: Int = GatewayApp.defaultUploadLimit
    ) -> some ApplicationProtocol {
        Application(
            router: router(backends: backends, registry: PrometheusCollectorRegistry(), uploadLimit: uploadLimit),
            configuration: .init(
                address: .hostname(configuration.listen.host, port: configuration.listen.port), serverName: "Clearsky"),
            logger: logger)
    }

    static func router(
        backends: Backends, registry: PrometheusCollectorRegistry,
        verifier: TokenVerifier? = nil, uploadLimit: Int = GatewayApp.defaultUploadLimit
    ) -> Router<GatewayContext> {
        let router = Router(context: GatewayContext.self)
        let verifier = verifier ?? TokenVerifier { try backends.client(.auth) }
        router.add(middleware: RequestMetricsMiddleware(registry: registry))
        router.add(middleware: APIErrorMiddleware())
        HealthController(backends: backends, registry: registry).register(on: router)
        AuthController(backends: backends, verifier: verifier).register(on: router)
        ImagesController(backends: backends, verifier: verifier, uploadLimit: uploadLimit).register(on: router)
        ProcessController(backends: backends, verifier: verifier, uploadLimit: uploadLimit).register(on: router)
        TagsController(backends: backends, verifier: verifier, uploadLimit: uploadLimit).register(on: router)
        router.get("/metrics") { _, _ -> Response in
            await StoreCacheMetrics.update(registry: registry, backends: backends)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        return router
    }
}
