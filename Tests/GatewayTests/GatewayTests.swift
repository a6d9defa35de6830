import Contracts
import Foundation
import Hummingbird
import HummingbirdTesting
import Prometheus
import ServiceRuntime
import Testing
import Wire
import WireTesting

@testable import Gateway

@Suite struct GatewayTests {
    /// A backend that reports `state` from its health method (on the event loop, as the services do).
    func backend(_ service: ServiceName, state: HealthStatus.State = .serving) -> (service: String, router: WireRouter)
    {
        var router = WireRouter()
        router.registerOnEventLoop(CommonContract.health) { _, _ in
            HealthStatus(service: service.rawValue, state: state, version: ClearskyVersion.current, uptimeSeconds: 1)
        }
        return (service.rawValue, router)
    }

    func app(_ endpoints: [String: WireEndpoint], registry: PrometheusCollectorRegistry = .init())
        -> some ApplicationProtocol
    {
        var peers: [ServiceName: WireEndpoint] = [:]
        for service in ServiceName.backends {
            // A service that is not running gets a port nobody listens on.
            peers[service] = endpoints[service.rawValue] ?? WireEndpoint(host: "127.0.0.1", port: 1)
        }
        let backends = Backends(peers: peers, credentials: .plain(WireHarness.secret))
        return Application(router: GatewayApp.router(backends: backends, registry: registry))
    }

    struct ErrorBody: Decodable {
        struct Detail: Decodable {
            var code: String
            var message: String
        }
        var error: Detail
    }

    /// GET /healthz until `settled` holds or 30 s pass, then the last status and report. Each probe has a
    /// 2 s timeout; while other suites start whole clusters of processes on the same two cores a probe can
    /// miss it, which the gateway rightly reports as unavailable, so a test waits for the steady state.
    func settledHealth(
        _ client: some TestClientProtocol, until settled: (HTTPResponse.Status, HealthController.Report) -> Bool
    ) async throws -> (HTTPResponse.Status, HealthController.Report) {
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            let (status, report) = try await client.execute(uri: "/healthz", method: .get) { response in
                (
                    response.status,
                    try JSONDecoder().decode(HealthController.Report.self, from: Data(buffer: response.body))
                )
            }
            if settled(status, report) || ContinuousClock.now >= deadline { return (status, report) }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    @Test func healthzIsGreenWhenEveryServiceServes() async throws {
        try await withWireServers(ServiceName.backends.map { backend($0) }) { endpoints in
            try await app(endpoints).test(.router) { client in
                let (status, report) = try await settledHealth(client) { status, _ in status == .ok }
                #expect(status == .ok)
                #expect(report.status == "ok")
                #expect(Set(report.services.keys) == ["auth", "store", "process", "tag"])
                #expect(report.services.values.allSatisfy { $0.state == "serving" })
            }
        }
    }

    @Test func healthzIsDegradedWhenAServiceIsDownOrUnwell() async throws {
        let running = [backend(.auth), backend(.store, state: .degraded), backend(.process)]
        try await withWireServers(running) { endpoints in
            try await app(endpoints).test(.router) { client in
                let (status, report) = try await settledHealth(client) { _, report in
                    report.services["auth"]?.state == "serving" && report.services["store"]?.state == "degraded"
                }
                #expect(status == .serviceUnavailable)
                #expect(report.status == "degraded")
                #expect(report.services["tag"]?.state == "unavailable")
                #expect(report.services["tag"]?.error?.isEmpty == false)
                #expect(report.services["store"]?.state == "degraded")
                #expect(report.services["auth"]?.state == "serving")
            }
        }
    }

    @Test func unknownRoutesAnswerWithTheJSONErrorShape() async throws {
        try await app([:]).test(.router) { client in
            try await client.execute(uri: "/v1/nothing-here", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
                let body = try JSONDecoder().decode(ErrorBody.self, from: Data(buffer: response.body))
                #expect(body.error.code == "NotFound")
            }
        }
    }

    @Test func metricsAreExposedInPrometheusText() async throws {
        let registry = PrometheusCollectorRegistry()
        try await app([:], registry: registry).test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { _ in }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                let text = String(buffer: response.body)
                #expect(
                    text.contains("clearsky_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"503\"} 1"))
                #expect(text.contains("clearsky_service_up{service=\"auth\"} 0"))
            }
        }
    }

    @Test func wireErrorsMapToStatusesInOnePlace() {
        #expect(APIError(WireError(.notFound, "x")).status == .notFound)
        #expect(APIError(WireError(.invalidArgument, "x")).status == .badRequest)
        // A service refusing another's certificate or access is the cluster's fault: 500, its words kept back.
        for code in [WireError.Code.unauthenticated, .permissionDenied] {
            let error = APIError(WireError(code, "TLS with StoreSvc failed: certificate"))
            #expect(error.status == .internalServerError && !error.message.contains("StoreSvc"))
        }
        #expect(APIError(WireError(.notAuthorized, "x")).status == .unauthorized)
        #expect(APIError(WireError(.resourceExhausted, "x")).status == .tooManyRequests)
        #expect(APIError(WireError(.unavailable, "x")).status == .serviceUnavailable)
        #expect(APIError(WireError(.init(5000, "Weird"), "x")).status == .internalServerError)
    }
}

@Suite struct GatewayContractTests {
    @Test func gatewayServesHealthOverWire() async throws {
        try await withServiceHost(.gateway) { host in
            try await withWireServer(service: ServiceName.gateway.rawValue, router: GatewayRouter.make(host: host)) {
                harness in
                let status = try await harness.client().call(CommonContract.health, Empty())
                #expect(status.service == "Gateway")
                #expect(status.state == .serving)
            }
        }
    }
}
