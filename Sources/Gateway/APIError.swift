import Contracts
import Foundation
import Hummingbird
import Wire

/// The one error shape clients see: `{"error":{"code":"NotFound","message":"…"}}` with a fitting status.
struct APIError: HTTPResponseError {
    var status: HTTPResponse.Status
    var code: String
    var message: String
    var headers: HTTPFields = [:]

    init(_ status: HTTPResponse.Status, _ code: String, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    private struct Body: Encodable {
        struct Detail: Encodable {
            var code: String
            var message: String
        }
        var error: Detail
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let data = try JSONEncoder().encode(Body(error: .init(code: code, message: message)))
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension APIError {
    /// The single place where Wire codes become HTTP statuses and API error names.
    init(_ error: WireError) {
        // The contract's own name, whether or not this process registered the codes.
        let named = ContractRegistry.errorCodes.first { $0 == error.code }?.name ?? error.code.name
        let (status, code): (HTTPResponse.Status, String) =
            switch error.code {
            case .invalidArgument, .outOfRange: (.badRequest, "InvalidParameter")
            // Between the services these mean a certificate or an access list is wrong: the cluster's
            // fault, not the caller's (people's own sign-in failures are `notAuthorized`).
            case .unauthenticated, .permissionDenied: (.internalServerError, "InternalError")
            case .notFound: (.notFound, "NotFound")
            case .alreadyExists: (.conflict, "Conflict")
            case .failedPrecondition, .aborted: (.conflict, "Conflict")
            case .resourceExhausted: (.tooManyRequests, "TooManyRequests")
            case .deadlineExceeded: (.gatewayTimeout, "Timeout")
            case .unavailable: (.serviceUnavailable, "ServiceUnavailable")
            case .unimplemented: (.notImplemented, "NotImplemented")
            case .usernameExists, .aliasExists: (.conflict, named)
            case .invalidPassword, .codeMismatch, .expiredCode, .invalidParameter: (.badRequest, named)
            case .notAuthorized: (.unauthorized, named)
            case .userNotConfirmed: (.forbidden, named)
            case .tooManyRequests, .limitExceeded: (.tooManyRequests, named)
            case .invalidImage: (.unprocessableContent, named)
            case .unsupportedMediaType: (.unsupportedMediaType, named)
            case .payloadTooLarge: (.contentTooLarge, named)
            case .keyExists: (.conflict, named)
            case .webhookNotConfirmed, .webhookNotAllowed: (.unprocessableContent, named)
            default: (.internalServerError, "InternalError")
            }
        var headers: HTTPFields = [:]
        if let seconds = error.retryAfterSeconds {
            headers[.retryAfter] = String(seconds)
        }
        // A backend's own words on its failures (errno, host:port, SMTP replies) stay in the logs (L3).
        let message =
            switch status {
            case .internalServerError, .notImplemented: "Something went wrong on our side"
            case .serviceUnavailable: "A Clearsky service is not available right now; try again shortly"
            case .gatewayTimeout: "Clearsky took too long to answer; try again"
            default: error.message
            }
        self.init(status, code, message, headers: headers)
    }

    /// Names for the statuses Hummingbird itself raises (unknown route, wrong method, …).
    init(_ error: HTTPError) {
        let code =
            switch error.status {
            case .badRequest: "BadRequest"
            case .unauthorized: "NotAuthorized"
            case .forbidden: "Forbidden"
            case .notFound: "NotFound"
            case .methodNotAllowed: "MethodNotAllowed"
            case .contentTooLarge: "PayloadTooLarge"
            case .unsupportedMediaType: "UnsupportedMediaType"
            case .tooManyRequests: "TooManyRequests"
            default: error.status.code >= 500 ? "InternalError" : "BadRequest"
            }
        self.init(error.status, code, error.body ?? error.status.reasonPhrase, headers: error.headers)
    }
}

/// Turns every error a route throws into an `APIError`, so no response leaks another shape.
struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as WireError {
            let api = APIError(error)
            if api.status.code >= 500 {
                context.logger.warning(
                    "Backend failure", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            }
            throw api
        } catch let error as HTTPError {
            throw APIError(error)
        } catch let error as any HTTPResponseError {
            throw APIError(error.status, "Error", "\(error)")
        } catch {
            context.logger.error("Unhandled error", metadata: ["error": "\(error)"])
            throw APIError(.internalServerError, "InternalError", "Something went wrong on our side")
        }
    }
}
