import HTTPTypes
import Hummingbird

/// Headers every response carries (OWASP ASVS V14.4): no MIME sniffing, no referrer to other sites, no
/// framing, and HSTS when Clearsky is served over HTTPS. Responses that carry tokens are never stored.
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    let hsts: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            var response = try await next(request, context)
            apply(to: &response.headers, path: request.uri.path)
            return response
        } catch let error as APIError {
            var error = error
            apply(to: &error.headers, path: request.uri.path)
            throw error
        }
    }

    private func apply(to headers: inout HTTPFields, path: String) {
        headers[.xContentTypeOptions] = "nosniff"
        headers[.referrerPolicy] = "no-referrer"
        headers[.xFrameOptions] = "DENY"
        if hsts { headers[.strictTransportSecurity] = "max-age=31536000; includeSubDomains" }
        if path.hasPrefix("/v1/auth/") || path == "/v1/me" {
            headers[.cacheControl] = "no-store"
        }
    }
}

extension HTTPField.Name {
    static let xContentTypeOptions = Self("X-Content-Type-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
    static let xFrameOptions = Self("X-Frame-Options")!
    static let strictTransportSecurity = Self("Strict-Transport-Security")!
}
