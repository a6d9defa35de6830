import Contracts
import Foundation
import Mail
import Testing
import Wire
import WireTesting

@testable import AuthSvc

/// L15, L1 and L14: budgets that stop guessing without handing an attacker the owner's account.
@Suite struct LockoutTests {
    let owner = ClientContext(address: "192.0.2.10")
    let attacker = ClientContext(address: "203.0.113.66")

    private func login(_ auth: AuthHarness, _ username: String, _ password: String, from client: ClientContext)
        async -> WireError.Code?
    {
        await wireCode {
            _ = try await auth.client.call(
                AuthContract.login, LoginRequest(username: username, password: password, client: client))
        }
    }

    @Test func anAttackerAtOneAddressLocksOnlyThemselvesOut() async throws {
        try await withAuthHarness { auth in
            _ = try await auth.signedIn("grace")
            var codes: [WireError.Code?] = []
            for _ in 0..<12 { codes.append(await login(auth, "grace", "Wr0ng-pass!", from: attacker)) }
            #expect(codes.last == .tooManyRequests)
            // The owner, elsewhere, still signs in; the attacker, even with the right password, does not.
            #expect(await login(auth, "grace", "Corr3ct-horse", from: owner) == nil)
            #expect(await login(auth, "grace", "Corr3ct-horse", from: attacker) == .tooManyRequests)
        }
    }

    @Test func aUsernameLockedFromManyAddressesCanStillResetItsPassword() async throws {
        var settings = AuthHarness.settings()
        settings.attemptsPerUsernameTotal = 20
        try await withAuthHarness(settings: settings) { auth in
            _ = try await auth.signedIn("heidi")
            for index in 0..<3 {
                let from = ClientContext(address: "198.51.100.\(index)")
                for _ in 0..<10 { _ = await login(auth, "heidi", "Wr0ng-pass!", from: from) }
            }
            // Twenty guesses from all addresses together: login is closed for everyone for now ...
            #expect(await login(auth, "heidi", "Corr3ct-horse", from: owner) == .tooManyRequests)
            // ... but the mail and code flows have budgets of their own, so the owner gets back in.
            _ = try await auth.client.call(
                AuthContract.forgotPassword, UsernameRequest(username: "heidi", client: owner))
            try await auth.client.call(
                AuthContract.resetPassword,
                ResetPasswordRequest(
                    username: "heidi", code: auth.code(for: "heidi@example.com"), newPassword: "N3w-horse-staple",
                    client: owner))
            auth.clock.advance(901)
            #expect(await login(auth, "heidi", "N3w-horse-staple", from: owner) == nil)
        }
    }

    @Test func freshCodesDoNotRenewTheGuessingBudgetPastADailyLimit() async throws {
        var settings = AuthHarness.settings()
        settings.attemptsPerUsername = 1_000
        settings.attemptsPerUsernameTotal = 1_000
        settings.attemptsPerAddress = 1_000
        try await withAuthHarness(settings: settings) { auth in
            _ = try await auth.client.call(
                AuthContract.signUp,
                SignUpRequest(username: "ivan", email: "ivan@example.com", password: "Corr3ct-horse", client: owner))
            func mails() throws -> Int { try auth.outbox.messages().filter { $0.text.contains("To: ivan@") }.count }
            // The sign-up code was the first of the day's ten; nine resends mail, the rest do not.
            for _ in 0..<15 {
                let answer = try await auth.client.call(
                    AuthContract.resendCode, UsernameRequest(username: "ivan", client: attacker))
                #expect(answer == CodeDelivery.undisclosed)
            }
            #expect(try mails() == settings.codesPerDay)
            // The last code mailed is the valid one: the resends that mailed nothing did not replace it.
            try await auth.client.call(
                AuthContract.confirmSignUp,
                ConfirmRequest(username: "ivan", code: auth.code(for: "ivan@example.com"), client: owner))
            // Reset codes count on their own, and the count renews after a day.
            for _ in 0..<12 {
                _ = try await auth.client.call(
                    AuthContract.forgotPassword, UsernameRequest(username: "ivan", client: attacker))
            }
            #expect(try mails() == 2 * settings.codesPerDay)
            auth.clock.advance(86_401)
            _ = try await auth.client.call(
                AuthContract.forgotPassword, UsernameRequest(username: "ivan", client: attacker))
            #expect(try mails() == 2 * settings.codesPerDay + 1)
        }
    }

    @Test func verifyPasswordChecksAndIsThrottled() async throws {
        try await withAuthHarness { auth in
            let signUp = try await auth.client.call(
                AuthContract.signUp,
                SignUpRequest(username: "judy", email: "judy@example.com", password: "Corr3ct-horse", client: owner))
            let sub = signUp.userSub
            let right = VerifyPasswordRequest(
                user: UserRequest(sub: sub), password: "Corr3ct-horse", client: owner)
            try await auth.client.call(AuthContract.verifyPassword, right)
            var wrong = right
            wrong.password = "Wr0ng-pass!"
            #expect(await wireCode { try await auth.client.call(AuthContract.verifyPassword, wrong) } == .notAuthorized)
            for _ in 0..<10 { _ = await wireCode { try await auth.client.call(AuthContract.verifyPassword, wrong) } }
            #expect(
                await wireCode { try await auth.client.call(AuthContract.verifyPassword, right) } == .tooManyRequests)
        }
    }
}
