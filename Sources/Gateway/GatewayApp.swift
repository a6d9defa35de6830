import Contracts
import Hummingbird
import HummingbirdCore
import Logging
import Prometheus
import ServiceRuntime
import Wire

/// Builds the gateway's HTTP application: routes, middleware and metrics.
enum GatewayApp {
    /// Largest image upload: 50 MiB.
    static let defaultUploadLimit = 50 * 1024 * 1024

    static func make(
        configuration: ServiceConfiguration, backends: Backends, logger: Logger, settings: GatewaySettings = .init()
    ) -> some ApplicationProtocol {
        Application(
            router: router(backends: backends, registry: PrometheusCollectorRegistry(), settings: settings),
            server: .http1(
                configuration: .init(
                    additionalChannelHandlers: [
                        RequestTimeoutHandler(header: settings.headerTimeout, body: settings.bodyTimeout)
                    ],
                    idleTimeout: .nanoseconds(Int64(settings.idleTimeout.components.seconds) * 1_000_000_000))),
            configuration: .init(
                address: .hostname(configuration.listen.host, port: configuration.listen.port), serverName: "Clearsky",
                availableConnectionsDelegate: MaximumAvailableConnections(settings.maxConnections, logger: logger)),
            logger: logger)
    }

    static func router(
        backends: Backends, registry: PrometheusCollectorRegistry,
        verifier: TokenVerifier? = nil, uploadLimit: Int = GatewayApp.defaultUploadLimit
    ) -> Router<GatewayContext> {
        var settings = GatewaySettings()
        settings.uploadLimit = uploadLimit
        return router(backends: backends, registry: registry, verifier: verifier, settings: settings)
    }

    static func router(
        backends: Backends, registry: PrometheusCollectorRegistry, verifier: TokenVerifier? = nil,
        settings: GatewaySettings
    ) -> Router<GatewayContext> {
        let router = Router(context: GatewayContext.self)
        let verifier = verifier ?? TokenVerifier(keyMaxAge: settings.keyCacheAge) { try backends.client(.auth) }
        let heavy = HeavyRequests(perUser: settings.heavyRequestsPerUser, total: settings.heavyRequestsTotal)
        let uploadLimit = settings.uploadLimit
        // Links in mails and payloads: the configured URL, else the gateway's loopback address.
        let publicBaseURL = settings.publicURL ?? "http://localhost"
        // Signed URLs' query parameters stay out of span attributes.
        router.add(middleware: TracingMiddleware(redactingQueryParameters: ["sig", "u"]))
        router.add(middleware: TraceResponseMiddleware())
        router.add(middleware: SecurityHeadersMiddleware(hsts: settings.servedOverHTTPS))
        router.add(middleware: RequestMetricsMiddleware(registry: registry))
        router.add(middleware: APIErrorMiddleware())
        HealthController(backends: backends, registry: registry, restartsFile: settings.restartsFile).register(
            on: router)
        AuthController(backends: backends, verifier: verifier, trustedProxies: settings.trustedProxies).register(
            on: router)
        ImagesController(
            backends: backends, verifier: verifier, uploadLimit: uploadLimit, heavy: heavy,
            publicBaseURL: publicBaseURL
        )
        .register(on: router)
        ProcessController(
            backends: backends, verifier: verifier, uploadLimit: uploadLimit, heavy: heavy,
            timeout: settings.processTimeout
        )
        .register(on: router)
        TagsController(
            backends: backends, verifier: verifier, uploadLimit: uploadLimit, heavy: heavy, publicBaseURL: publicBaseURL
        ).register(on: router)
        EventsController(backends: backends, verifier: verifier).register(on: router)
        if let web = settings.web { WebController(assets: web).register(on: router) }
        router.get("/metrics") { _, _ -> Response in
            await StoreCacheMetrics.update(registry: registry, backends: backends)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        return router
    }
}
