import Contracts
import Foundation
import Mail
import ServiceRuntime
import Wire

/// Every Wire method AuthSvc serves, bound to its handlers.
enum AuthRouter {
    static func make(host: ServiceHost, service: AuthService) -> WireRouter {
        var router = WireRouter()
        router.registerOnEventLoop(CommonContract.health, host.healthHandler())
        router.register(AuthContract.signUp) { request, _ in try await service.signUp(request) }
        router.register(AuthContract.confirmSignUp) { request, _ in
            try await service.confirmSignUp(request)
            return Empty()
        }
        router.register(AuthContract.resendCode) { request, _ in try await service.resendCode(request) }
        router.register(AuthContract.login) { request, _ in try await service.login(request) }
        router.register(AuthContract.refresh) { request, _ in try await service.refresh(request) }
        router.register(AuthContract.logout) { request, _ in
            try await service.logout(request)
            return Empty()
        }
        router.register(AuthContract.logoutAll) { request, _ in
            try await service.logoutAll(sub: request.sub)
            return Empty()
        }
        router.register(AuthContract.forgotPassword) { request, _ in try await service.forgotPassword(request) }
        router.register(AuthContract.resetPassword) { request, _ in
            try await service.resetPassword(request)
            return Empty()
        }
        router.register(AuthContract.changePassword) { request, _ in
            try await service.changePassword(request)
            return Empty()
        }
        router.register(AuthContract.getUser) { request, _ in try await service.getUser(request) }
        router.register(AuthContract.verifyPassword) { request, _ in
            try await service.verifyPassword(request)
            return Empty()
        }
        router.register(AuthContract.deleteUser) { request, _ in
            try await service.deleteUser(request)
            return Empty()
        }
        router.register(AuthContract.verificationKeys) { _, _ in try await service.verificationKeys() }
        router.register(AuthContract.revocations) { request, _ in try await service.revocations(request) }
        router.register(AuthContract.rotateKey) { _, _ in try await service.rotateKey() }
        router.register(AuthContract.revokeKey) { request, _ in try await service.revokeKey(request) }
        return router
    }
}
