import AccessTokens
import Contracts
import Foundation
import GRDB
import Mail
import TestServers
import Testing
import Wire
import WireTesting

@testable import AuthSvc

/// Every AuthSvc method through the real Wire client, on each store backend where the store takes part.
@Suite struct AuthFlowTests {
    let client = AuthHarness.client

    @Test(arguments: StoreBackend.allCases)
    func signUpConfirmLoginRefreshLogout(_ backend: StoreBackend) async throws {
        try await withAuthHarness(backend) { auth in
            let signUp = try await auth.client.call(
                AuthContract.signUp,
                SignUpRequest(username: "Alice", email: "alice@example.com", password: "Corr3ct-horse", client: client))
            #expect(!signUp.confirmed)
            #expect(signUp.delivery == CodeDelivery(medium: "EMAIL", destination: "a***@example.com"))
            // Not confirmed yet: login is refused with its own code.
            let early = await wireCode {
                _ = try await auth.client.call(
                    AuthContract.login, LoginRequest(username: "alice", password: "Corr3ct-horse", client: client))
            }
            #expect(early == .userNotConfirmed)
            try await auth.client.call(
                AuthContract.confirmSignUp,
                ConfirmRequest(username: "ALICE", code: auth.code(for: "alice@example.com"), client: client))
            // Login by email, case-insensitive.
            let tokens = try await auth.client.call(
                AuthContract.login,
                LoginRequest(username: "Alice@Example.com", password: "Corr3ct-horse", client: client))
            #expect(tokens.tokenType == "Bearer" && tokens.expiresIn == 3600)
            let keys = try await auth.client.call(AuthContract.verificationKeys, Empty())
            let claims = try Self.verify(tokens.accessToken, keys: keys, now: auth.clock.now)
            #expect(claims.sub == signUp.userSub && claims.username == "Alice" && claims.tokenUse == .access)
            let id = try JWT.verify(tokens.idToken, use: .id, issuer: "clearsky", now: Int(auth.clock.now)) { kid in
                keys.keys.first { $0.kid == kid }.map { SigningKey(kid: $0.kid, secret: $0.secret) }
            }
            #expect(id.email == "alice@example.com" && id.emailVerified == true)
            #expect(id.originJti == claims.originJti)

            let me = try await auth.client.call(AuthContract.getUser, UserRequest(sub: claims.sub))
            #expect(me.username == "Alice" && me.emailVerified && me.storageFolder.hasPrefix("u-"))

            let refreshed = try await auth.client.call(
                AuthContract.refresh, RefreshRequest(refreshToken: tokens.refreshToken, client: client))
            #expect(refreshed.refreshToken != tokens.refreshToken)
            let refreshedClaims = try Self.verify(refreshed.accessToken, keys: keys, now: auth.clock.now)
            #expect(refreshedClaims.originJti == claims.originJti && refreshedClaims.authTime == claims.authTime)

            try await auth.client.call(
                AuthContract.logout, RefreshRequest(refreshToken: refreshed.refreshToken, client: client))
            let afterLogout = await wireCode {
                _ = try await auth.client.call(
                    AuthContract.refresh, RefreshRequest(refreshToken: refreshed.refreshToken, client: client))
            }
            #expect(afterLogout == .notAuthorized)
            let revoked = try await auth.client.call(AuthContract.revocations, RevocationsRequest(after: 0))
            #expect(revoked.originJtis == [claims.originJti])
            #expect(
                try await auth.client.call(AuthContract.revocations, RevocationsRequest(after: revoked.sequence))
                    .originJtis.isEmpty)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func reusingARotatedRefreshTokenRevokesTheFamily(_ backend: StoreBackend) async throws {
        try await withAuthHarness(backend) { auth in
            let first = try await auth.signedIn("bob")
            let second = try await auth.client.call(
                AuthContract.refresh, RefreshRequest(refreshToken: first.refreshToken, client: client))
            // The old token again: refused, and the new one dies with it.
            let reuse = await wireCode {
                _ = try await auth.client.call(
                    AuthContract.refresh, RefreshRequest(refreshToken: first.refreshToken, client: client))
            }
            #expect(reuse == .notAuthorized)
            let successor = await wireCode {
                _ = try await auth.client.call(
                    AuthContract.refresh, RefreshRequest(refreshToken: second.refreshToken, client: client))
            }
            #expect(successor == .notAuthorized)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func unknownUserAndWrongPasswordAnswerAlike(_ backend: StoreBackend) async throws {
        try await withAuthHarness(backend) { auth in
            _ = try await auth.signedIn("carol")
            var messages: [String] = []
            for name in ["carol", "nobody-here"] {
                do {
                    _ = try await auth.client.call(
                        AuthContract.login, LoginRequest(username: name, password: "Wr0ng-pass!", client: client))
                } catch let error as WireError {
                    #expect(error.code == .notAuthorized)
                    messages.append(error.message)
                }
            }
            #expect(messages.count == 2 && messages[0] == messages[1])
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func codesExpireAreSingleUseAndLockAfterFiveWrongTries(_ backend: StoreBackend) async throws {
        try await withAuthHarness(backend) { auth in
            _ = try await auth.client.call(
                AuthContract.signUp,
                SignUpRequest(username: "dave", email: "dave@example.com", password: "Corr3ct-horse", client: client))
            let code = try auth.code(for: "dave@example.com")
            let wrong = code == "000000" ? "111111" : "000000"
            for _ in 0..<5 {
                let result = await wireCode {
                    try await auth.client.call(
                        AuthContract.confirmSignUp, ConfirmRequest(username: "dave", code: wrong, client: client))
                }
                #expect(result == .codeMismatch)
            }
            // Five wrong tries: even the right code now needs a new one.
            let locked = await wireCode {
                try await auth.client.call(
                    AuthContract.confirmSignUp, ConfirmRequest(username: "dave", code: code, client: client))
            }
            #expect(locked == .limitExceeded)
            _ = try await auth.client.call(AuthContract.resendCode, UsernameRequest(username: "dave", client: client))
            let fresh = try auth.code(for: "dave@example.com")
            auth.clock.advance(86_400)
            let expired = await wireCode {
                try await auth.client.call(
                    AuthContract.confirmSignUp, ConfirmRequest(username: "dave", code: fresh, client: client))
            }
            #expect(expired == .expiredCode)
            _ = try await auth.client.call(AuthContract.resendCode, UsernameRequest(username: "dave", client: client))
            let last = try auth.code(for: "dave@example.com")
            try await auth.client.call(
                AuthContract.confirmSignUp, ConfirmRequest(username: "dave", code: last, client: client))
            let again = await wireCode {
                try await auth.client.call(
                    AuthContract.confirmSignUp, ConfirmRequest(username: "dave", code: last, client: client))
            }
            #expect(again == .notAuthorized)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func signUpValidatesEverything(_ backend: StoreBackend) async throws {
        try await withAuthHarness(backend) { auth in
            _ = try await auth.signedIn("erin")
            let cases: [(String, String, String, WireError.Code)] = [
                ("erin", "other@example.com", "Corr3ct-horse", .usernameExists),
                ("ERIN", "other@example.com", "Corr3ct-horse", .usernameExists),
                ("frank", "erin@example.com", "Corr3ct-horse", .aliasExists),
                ("frank", "frank@example.com", "short1!", .invalidPassword),
                ("frank", "frank@example.com", "alllowercase1!", .invalidPassword),
                ("frank", "frank@example.com", "NoDigits-here", .invalidPassword),
                ("frank", "frank@example.com", "NoSymbols123", .invalidPassword),
                ("fr", "frank@example.com", "Corr3ct-horse", .invalidParameter),
                // Cyrillic "е" in place of the Latin "e": a look-alike of "erin" is not a username.
                ("\u{0435}rin", "x@example.com", "Corr3ct-horse", .invalidParameter),
                ("robert'); DROP TABLE user;--", "r@example.com", "Corr3ct-horse", .invalidParameter),
                ("frank", "not-an-email", "Corr3ct-horse", .invalidParameter),
                ("frank", "frank@example.com\r\nBcc: all@example.com", "Corr3ct-horse", .invalidParameter),
                (String(repeating: "a", count: 10_000), "big@example.com", "Corr3ct-horse", .invalidParameter),
                ("frank", String(repeating: "b", count: 10_000) + "@example.com", "Corr3ct-horse", .invalidParameter),
                ("frank", "frank@example.com", String(repeating: "Aa1!", count: 2_500), .invalidPassword),
            ]
            for (username, email, password, expected) in cases {
                let result = await wireCode {
                    _ = try await auth.client.call(
                        AuthContract.signUp,
                        SignUpRequest(username: username, email: email, password: password, client: client))
                }
                #expect(result == expected, "\(username.prefix(30)) \(email.prefix(30))")
            }
            // SQL metacharacters in a login are just a wrong name.
            let injection = await wireCode {
                _ = try await auth.client.call(
                    AuthContract.login, LoginRequest(username: "' OR 1=1 --", password: "x' OR '1'='1", client: client))
            }
            #expect(injection == .notAuthorized)
        }
    }

    @Test func bruteForceIsThrottled() async throws {
        try await withAuthHarness { auth in
            _ = try await auth.signedIn("grace")
            var codes: [WireError.Code?] = []
            for _ in 0..<12 {
                codes.append(
                    await wireCode {
                        _ = try await auth.client.call(
                            AuthContract.login, LoginRequest(username: "grace", password: "Wr0ng-pass!", client: client)
                        )
                    })
            }
            #expect(codes.prefix(9).allSatisfy { $0 == .notAuthorized })
            #expect(codes.last == .tooManyRequests)
            // The window slides: after 15 minutes the right password works again.
            auth.clock.advance(901)
            _ = try await auth.client.call(
                AuthContract.login, LoginRequest(username: "grace", password: "Corr3ct-horse", client: client))
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func passwordResetAndChangeRevokeSessions(_ backend: StoreBackend) async throws {
        try await withAuthHarness(backend) { auth in
            let first = try await auth.signedIn("heidi")
            let delivery = try await auth.client.call(
                AuthContract.forgotPassword, UsernameRequest(username: "heidi", client: client))
            // M7: a real user and an unknown one get the same answer; only the real one gets mail.
            #expect(delivery == CodeDelivery.undisclosed)
            let unknown = try await auth.client.call(
                AuthContract.forgotPassword, UsernameRequest(username: "nobody-here", client: client))
            #expect(unknown == delivery)
            let confirmed = try await auth.client.call(
                AuthContract.resendCode, UsernameRequest(username: "heidi", client: client))
            #expect(confirmed == delivery)
            try await auth.client.call(
                AuthContract.resetPassword,
                ResetPasswordRequest(
                    username: "heidi", code: auth.code(for: "heidi@example.com"), newPassword: "N3w-password",
                    client: client))
            let revoked = await wireCode {
                _ = try await auth.client.call(
                    AuthContract.refresh, RefreshRequest(refreshToken: first.refreshToken, client: client))
            }
            #expect(revoked == .notAuthorized)
            let second = try await auth.client.call(
                AuthContract.login, LoginRequest(username: "heidi", password: "N3w-password", client: client))
            let third = try await auth.client.call(
                AuthContract.login, LoginRequest(username: "heidi", password: "N3w-password", client: client))
            let keys = try await auth.client.call(AuthContract.verificationKeys, Empty())
            let claims = try Self.verify(second.accessToken, keys: keys, now: auth.clock.now)
            let wrongOld = await wireCode {
                try await auth.client.call(
                    AuthContract.changePassword,
                    ChangePasswordRequest(
                        user: UserRequest(sub: claims.sub, originJti: claims.originJti), oldPassword: "nope",
                        newPassword: "Th1rd-password", client: client))
            }
            #expect(wrongOld == .notAuthorized)
            try await auth.client.call(
                AuthContract.changePassword,
                ChangePasswordRequest(
                    user: UserRequest(sub: claims.sub, originJti: claims.originJti), oldPassword: "N3w-password",
                    newPassword: "Th1rd-password", client: client))
            // The sign-in that changed the password lives on; the other one is revoked.
            _ = try await auth.client.call(
                AuthContract.refresh, RefreshRequest(refreshToken: second.refreshToken, client: client))
            let other = await wireCode {
                _ = try await auth.client.call(
                    AuthContract.refresh, RefreshRequest(refreshToken: third.refreshToken, client: client))
            }
            #expect(other == .notAuthorized)
            // Forgot-password for an unknown user looks the same and sends nothing.
            let before = try auth.outbox.messages().count
            _ = try await auth.client.call(
                AuthContract.forgotPassword, UsernameRequest(username: "nobody", client: client))
            #expect(try auth.outbox.messages().count == before)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func logoutAllAndDeleteAccount(_ backend: StoreBackend) async throws {
        try await withAuthHarness(backend) { auth in
            let one = try await auth.signedIn("ivan")
            let two = try await auth.client.call(
                AuthContract.login, LoginRequest(username: "ivan", password: "Corr3ct-horse", client: client))
            let keys = try await auth.client.call(AuthContract.verificationKeys, Empty())
            let claims = try Self.verify(one.accessToken, keys: keys, now: auth.clock.now)
            try await auth.client.call(AuthContract.logoutAll, UserRequest(sub: claims.sub))
            for token in [one.refreshToken, two.refreshToken] {
                let result = await wireCode {
                    _ = try await auth.client.call(
                        AuthContract.refresh, RefreshRequest(refreshToken: token, client: client))
                }
                #expect(result == .notAuthorized)
            }
            #expect(
                try await auth.client.call(AuthContract.revocations, RevocationsRequest(after: 0)).originJtis.count == 2
            )
            try await auth.client.call(AuthContract.deleteUser, UserRequest(sub: claims.sub))
            let gone = await wireCode {
                _ = try await auth.client.call(AuthContract.getUser, UserRequest(sub: claims.sub))
            }
            #expect(gone == .notAuthorized)
            // The name is free again.
            _ = try await auth.signedIn("ivan")
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func keyRotationKeepsOldTokensVerifiable(_ backend: StoreBackend) async throws {
        try await withAuthHarness(backend) { auth in
            let before = try await auth.signedIn("judy")
            let rotation = try await auth.client.call(AuthContract.rotateKey, Empty())
            let keys = try await auth.client.call(AuthContract.verificationKeys, Empty())
            #expect(keys.keys.count == 2 && keys.keys[0].kid == rotation.kid)
            _ = try Self.verify(before.accessToken, keys: keys, now: auth.clock.now)
            let after = try await auth.client.call(
                AuthContract.login, LoginRequest(username: "judy", password: "Corr3ct-horse", client: client))
            #expect(after.accessToken.split(separator: ".").first != before.accessToken.split(separator: ".").first)
            // Once the old key's tokens have all expired, it is no longer handed out.
            auth.clock.advance(3_601)
            #expect(
                try await auth.client.call(AuthContract.verificationKeys, Empty()).keys.map(\.kid) == [rotation.kid])
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func aRevokedKeyIsGoneAtOnceAndAnActiveOneReplaced(_ backend: StoreBackend) async throws {
        try await withAuthHarness(backend) { auth in
            let before = try await auth.signedIn("kim")
            let first = try await auth.client.call(AuthContract.verificationKeys, Empty()).keys[0].kid
            let rotation = try await auth.client.call(AuthContract.rotateKey, Empty())
            // A retired key: removed, the active one stays.
            let retired = try await auth.client.call(AuthContract.revokeKey, RevokeKeyRequest(kid: first))
            #expect(retired == KeyRevocation(kid: first, activeKid: rotation.kid))
            var keys = try await auth.client.call(AuthContract.verificationKeys, Empty())
            #expect(keys.keys.map(\.kid) == [rotation.kid])
            #expect(throws: TokenError.self) { try Self.verify(before.accessToken, keys: keys, now: auth.clock.now) }
            // The active key: a new one signs from now on.
            let active = try await auth.client.call(AuthContract.revokeKey, RevokeKeyRequest(kid: rotation.kid))
            #expect(active.kid == rotation.kid && active.activeKid != rotation.kid)
            keys = try await auth.client.call(AuthContract.verificationKeys, Empty())
            #expect(keys.keys.map(\.kid) == [active.activeKid])
            let after = try await auth.client.call(
                AuthContract.login, LoginRequest(username: "kim", password: "Corr3ct-horse", client: client))
            _ = try Self.verify(after.accessToken, keys: keys, now: auth.clock.now)
            // Unknown and absurd key ids are refused with a clear error.
            for kid in [rotation.kid, "", String(repeating: "k", count: 10_000)] {
                let result = await wireCode {
                    _ = try await auth.client.call(AuthContract.revokeKey, RevokeKeyRequest(kid: kid))
                }
                #expect(result == .notFound)
            }
        }
    }

    /// Used-up refresh tokens, ended sign-ins and expired codes are pruned (L6); what is alive stays.
    @Test(arguments: StoreBackend.allCases)
    func pruningRemovesOnlyWhatNoFlowNeeds(_ backend: StoreBackend) async throws {
        try await withAuthHarness(backend) { auth in
            let first = try await auth.signedIn("lena")
            let second = try await auth.client.call(
                AuthContract.refresh, RefreshRequest(refreshToken: first.refreshToken, client: client))
            _ = try await auth.client.call(
                AuthContract.forgotPassword, UsernameRequest(username: "lena", client: client))
            #expect(try await auth.service.prune() == ["signIns": 0, "usedRefreshTokens": 0, "codes": 0])
            // A day on: the reset code (valid an hour) has expired; the used-up token is still kept.
            auth.clock.advance(86_400)
            #expect(try await auth.service.prune() == ["signIns": 0, "usedRefreshTokens": 0, "codes": 1])
            // Eight days on: the used-up token goes; a copy of it is now just unknown.
            auth.clock.advance(7 * 86_400)
            #expect(try await auth.service.prune() == ["signIns": 0, "usedRefreshTokens": 1, "codes": 0])
            let copied = await wireCode {
                _ = try await auth.client.call(
                    AuthContract.refresh, RefreshRequest(refreshToken: first.refreshToken, client: client))
            }
            #expect(copied == .notAuthorized)
            // The sign-in itself is alive and its current token works.
            let third = try await auth.client.call(
                AuthContract.refresh, RefreshRequest(refreshToken: second.refreshToken, client: client))
            // Past the sign-in's 30 days it goes with its tokens.
            auth.clock.advance(31 * 86_400)
            let pruned = try await auth.service.prune()
            #expect(pruned["signIns"] == 1)
            let expired = await wireCode {
                _ = try await auth.client.call(
                    AuthContract.refresh, RefreshRequest(refreshToken: third.refreshToken, client: client))
            }
            #expect(expired == .notAuthorized)
            #expect(try await auth.service.prune() == ["signIns": 0, "usedRefreshTokens": 0, "codes": 0])
        }
    }

    @Test func olderHashesAreUpgradedAtLogin() async throws {
        try await withServiceHost(.auth) { host in
            let path = host.configuration.stateDirectory + ".sqlite"
            let outbox = try Outbox(folder: host.configuration.dataDirectory + "/outbox")
            var weak = AuthHarness.settings()
            weak.passwordIterations = 500
            let old = try AuthService(
                store: SQLiteUserStore(path: path), settings: weak, mail: outbox, logger: host.logger)
            let signUp = try await old.signUp(
                SignUpRequest(username: "ken", email: "ken@example.com", password: "Corr3ct-horse", client: client))
            try await old.confirmSignUp(
                ConfirmRequest(username: "ken", code: outbox.code(for: "ken@example.com"), client: client))
            // The default rises; the same database, a new service.
            let store = try SQLiteUserStore(path: path)
            let new = AuthService(store: store, settings: AuthHarness.settings(), mail: outbox, logger: host.logger)
            _ = try await new.login(LoginRequest(username: "ken", password: "Corr3ct-horse", client: client))
            let stored = try await store.user(sub: signUp.userSub)
            #expect(PasswordHash(encoded: try #require(stored).passwordHash)?.iterations == 1_000)
            _ = try await new.login(LoginRequest(username: "ken", password: "Corr3ct-horse", client: client))
        }
    }

    static func verify(_ token: String, keys: VerificationKeys, now: Int64) throws -> TokenClaims {
        try JWT.verify(token, use: .access, issuer: keys.issuer, now: Int(now)) { kid in
            keys.keys.first { $0.kid == kid }.map { SigningKey(kid: $0.kid, secret: $0.secret) }
        }
    }
}
