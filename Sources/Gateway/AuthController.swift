import AccessTokens
import Contracts
import Foundation
import Hummingbird
import NetworkAddresses
import Wire

/// `/v1/auth/*` and `/v1/me`: the account flows, each one Wire call to AuthSvc.
struct AuthController: Sendable {
    let backends: Backends
    let verifier: TokenVerifier
    /// Proxies whose X-Forwarded-For is believed (M9).
    var trustedProxies: [AddressRange] = []

    func register(on router: Router<GatewayContext>) {
        let auth = router.group("v1/auth")
        auth.post("signup") { request, context -> EditedResponse<SignUpResponse> in
            let body = try await request.decode(as: SignUpBody.self, context: context)
            let response = try await call(
                AuthContract.signUp,
                SignUpRequest(
                    username: body.username, email: body.email, password: body.password,
                    client: client(request, context)))
            return EditedResponse(status: .created, response: response)
        }
        auth.post("confirm") { request, context -> Response in
            let body = try await request.decode(as: CodeBody.self, context: context)
            _ = try await call(
                AuthContract.confirmSignUp,
                ConfirmRequest(username: body.username, code: body.code, client: client(request, context)))
            return Response(status: .noContent)
        }
        auth.post("resend-code") { request, context -> CodeDelivery in
            let body = try await request.decode(as: UsernameBody.self, context: context)
            return try await call(
                AuthContract.resendCode, UsernameRequest(username: body.username, client: client(request, context)))
        }
        auth.post("login") { request, context -> TokenSet in
            let body = try await request.decode(as: LoginBody.self, context: context)
            return try await call(
                AuthContract.login,
                LoginRequest(username: body.username, password: body.password, client: client(request, context)))
        }
        auth.post("refresh") { request, context -> TokenSet in
            let body = try await request.decode(as: RefreshBody.self, context: context)
            return try await call(
                AuthContract.refresh, RefreshRequest(refreshToken: body.refreshToken, client: client(request, context)))
        }
        auth.post("logout") { request, context -> Response in
            let body = try await request.decode(as: RefreshBody.self, context: context)
            _ = try await call(
                AuthContract.logout, RefreshRequest(refreshToken: body.refreshToken, client: client(request, context)))
            return Response(status: .noContent)
        }
        auth.post("logout-all") { request, _ -> Response in
            let claims = try await verifier.authenticate(request)
            _ = try await call(AuthContract.logoutAll, UserRequest(sub: claims.sub))
            verifier.markRevoked(claims.originJti)
            return Response(status: .noContent)
        }
        auth.post("password/forgot") { request, context -> CodeDelivery in
            let body = try await request.decode(as: UsernameBody.self, context: context)
            return try await call(
                AuthContract.forgotPassword, UsernameRequest(username: body.username, client: client(request, context)))
        }
        auth.post("password/reset") { request, context -> Response in
            let body = try await request.decode(as: ResetBody.self, context: context)
            _ = try await call(
                AuthContract.resetPassword,
                ResetPasswordRequest(
                    username: body.username, code: body.code, newPassword: body.newPassword,
                    client: client(request, context)))
            return Response(status: .noContent)
        }
        auth.post("password/change") { request, context -> Response in
            let claims = try await verifier.authenticate(request)
            let body = try await request.decode(as: ChangeBody.self, context: context)
            _ = try await call(
                AuthContract.changePassword,
                ChangePasswordRequest(
                    user: UserRequest(sub: claims.sub, originJti: claims.originJti), oldPassword: body.oldPassword,
                    newPassword: body.newPassword, client: client(request, context)))
            return Response(status: .noContent)
        }
        router.get("v1/me") { request, _ -> UserInfo in
            let claims = try await verifier.authenticate(request)
            return try await call(AuthContract.getUser, UserRequest(sub: claims.sub))
        }
        router.delete("v1/me") { request, context -> Response in
            let claims = try await verifier.authenticate(request)
            // Deleting everything is irreversible, so a token alone is not enough (L14).
            let body = try await request.decode(as: PasswordBody.self, context: context)
            _ = try await call(
                AuthContract.verifyPassword,
                VerifyPasswordRequest(
                    user: UserRequest(sub: claims.sub), password: body.password, client: client(request, context)))
            // The data goes first: an account left without data can still be deleted again; data left
            // without an account could not.
            _ = try await backends.client(.process).call(ProcessContract.deleteOwner, OwnerRequest(owner: claims.sub))
            _ = try await backends.client(.tag).call(TagContract.deleteOwner, OwnerRequest(owner: claims.sub))
            _ = try await backends.client(.store).call(StoreContract.deleteOwner, OwnerRequest(owner: claims.sub))
            _ = try await call(AuthContract.deleteUser, UserRequest(sub: claims.sub))
            verifier.markRevoked(claims.originJti)
            return Response(status: .noContent)
        }
    }

    private func call<Request, Reply>(_ method: Method<Request, Reply>, _ request: Request) async throws -> Reply {
        try await backends.client(.auth).call(method, request)
    }

    private func client(_ request: Request, _ context: GatewayContext) -> ClientContext {
        ClientContext(
            address: ClientAddress.key(peer: context.clientAddress, headers: request.headers, trusted: trustedProxies))
    }
}

struct SignUpBody: Decodable {
    var username: String
    var email: String
    var password: String
}

struct CodeBody: Decodable {
    var username: String
    var code: String
}

struct UsernameBody: Decodable { var username: String }

struct LoginBody: Decodable {
    var username: String
    var password: String
}

struct RefreshBody: Decodable { var refreshToken: String }

struct ResetBody: Decodable {
    var username: String
    var code: String
    var newPassword: String
}

struct PasswordBody: Decodable { var password: String }

struct ChangeBody: Decodable {
    var oldPassword: String
    var newPassword: String
}

extension SignUpResponse: ResponseEncodable {}
extension CodeDelivery: ResponseEncodable {}
extension TokenSet: ResponseEncodable {}
extension UserInfo: ResponseEncodable {}
