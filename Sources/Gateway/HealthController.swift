import Contracts
import Foundation
import Hummingbird
import Prometheus
import Wire

/// `GET /healthz`: each backend's own health, asked over Wire, with the gateway's verdict.
struct HealthController: Sendable {
    let backends: Backends
    let registry: PrometheusCollectorRegistry
    /// Where `clearsky up` keeps how often it restarted each service; nil when not supervised by it.
    var restartsFile: String?

    struct ServiceReport: Codable, Sendable {
        var state: String
        var address: String
        var version: String?
        var latencyMs: Double?
        var checks: [String: String]?
        var error: String?
    }

    struct Report: ResponseCodable, Sendable {
        var status: String
        var version: String
        var services: [String: ServiceReport]
        /// Restarts per service (the gateway included) since `clearsky up` started, when it runs them.
        var restarts: [String: Int]?
    }

    func register(on router: Router<some RequestContext>) {
        router.get("/healthz") { _, _ -> EditedResponse<Report> in
            let report = await check()
            return EditedResponse(status: report.status == "ok" ? .ok : .serviceUnavailable, response: report)
        }
    }

    func check() async -> Report {
        let reports = await withTaskGroup(of: (ServiceName, ServiceReport).self) { group in
            for service in ServiceName.backends {
                group.addTask { (service, await probe(service)) }
            }
            var reports: [String: ServiceReport] = [:]
            for await (service, report) in group {
                reports[service.key] = report
                registry.makeGauge(name: "clearsky_service_up", labels: [("service", service.key)])
                    .set(to: report.state == "serving" ? 1.0 : 0.0)
            }
            return reports
        }
        let healthy = reports.count == ServiceName.backends.count && reports.values.allSatisfy { $0.state == "serving" }
        return Report(
            status: healthy ? "ok" : "degraded", version: ClearskyVersion.current, services: reports,
            restarts: restarts())
    }

    /// The supervisor's counts: a small JSON object of service → restarts, rewritten on each restart.
    private func restarts() -> [String: Int]? {
        guard let restartsFile, let data = FileManager.default.contents(atPath: restartsFile), data.count < 4096,
            let counts = try? JSONDecoder().decode([String: Int].self, from: data)
        else { return nil }
        return counts
    }

    private func probe(_ service: ServiceName) async -> ServiceReport {
        guard let client = backends.clients[service] else {
            return ServiceReport(state: "unconfigured", address: "", error: "No address configured")
        }
        let address = client.endpoints.map(\.description).joined(separator: ",")
        let start = ContinuousClock.now
        do {
            let status = try await client.call(CommonContract.health, Empty(), timeout: .seconds(2))
            let elapsed = ContinuousClock.now - start
            return ServiceReport(
                state: status.state.rawValue, address: address, version: status.version,
                latencyMs: Double(elapsed.nanoseconds) / 1e6, checks: status.checks)
        } catch {
            let message = (error as? WireError)?.message ?? "\(error)"
            return ServiceReport(
                state: "unavailable", address: address, error: message)
        }
    }
}
