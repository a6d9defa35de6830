import HTTPTypes
import Hummingbird
import Logging
import Tracing

/// The trace of an HTTP request, inside Hummingbird's `TracingMiddleware` (which starts the request's
/// server span, a child of a valid incoming W3C `traceparent` or the root of a new trace, and makes it
/// `ServiceContext.current`, so every Wire call the request makes carries it): answers with the span's
/// `traceparent`, errors included, and writes one access line per request at debug level.
struct TraceResponseMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let started = ContinuousClock.now
        var traceparent: String?
        if let current = ServiceContext.current {
            var fields = HTTPFields()
            InstrumentationSystem.instrument.inject(current, into: &fields, using: HTTPFieldsInjector())
            traceparent = fields[.traceparent]
        }
        do {
            var response = try await next(request, context)
            if let traceparent { response.headers[.traceparent] = traceparent }
            log(request, response.status, since: started, context.logger)
            return response
        } catch var error as APIError {
            if let traceparent { error.headers[.traceparent] = traceparent }
            log(request, error.status, since: started, context.logger)
            throw error
        }
    }

    private func log(
        _ request: Request, _ status: HTTPResponse.Status, since started: ContinuousClock.Instant, _ logger: Logger
    ) {
        // The path only: queries carry signatures.
        logger.debug(
            "\(request.method.rawValue) \(request.uri.path) \(status.code)",
            metadata: ["ms": "\(Int((ContinuousClock.now - started) / .milliseconds(1)))"])
    }
}

private struct HTTPFieldsInjector: Injector {
    func inject(_ value: String, forKey key: String, into fields: inout HTTPFields) {
        guard let name = HTTPField.Name(key) else { return }
        fields[name] = value
    }
}

extension HTTPField.Name {
    static let traceparent = Self("traceparent")!
}
