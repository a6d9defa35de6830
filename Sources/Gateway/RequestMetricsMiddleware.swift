import Hummingbird
import Prometheus

/// Counts requests and times them per route, into the gateway's Prometheus registry.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let registry: PrometheusCollectorRegistry

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let start = ContinuousClock.now
        var status = 500
        defer {
            let labels = [
                ("method", request.method.rawValue), ("route", context.endpointPath ?? "unmatched"),
                ("status", String(status)),
            ]
            registry.makeCounter(name: "clearsky_http_requests_total", labels: labels).increment()
            registry.makeDurationHistogram(
                name: "clearsky_http_request_duration_seconds", labels: Array(labels.prefix(2)),
                buckets: [
                    .milliseconds(1), .milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(500),
                    .seconds(2),
                ]
            ).recordNanoseconds((ContinuousClock.now - start).nanoseconds)
        }
        do {
            let response = try await next(request, context)
            status = response.status.code
            return response
        } catch let error as any HTTPResponseError {
            status = error.status.code
            throw error
        }
    }
}

extension Duration {
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}
