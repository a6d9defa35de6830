import AccessTokens
import Contracts
import Foundation
import Mail
import PostgresSupport
import ServiceRuntime
import Synchronization
import TestServers
import Testing
import Wire
import WireTesting

@testable import AuthSvc

/// Two AuthSvc replicas on one PostgreSQL pool, each behind its own Wire server: what one does, the
/// other sees, and what both do at once is decided once.
@Suite struct AuthReplicaTests {
    let client = AuthHarness.client

    /// Replicas `a` and `b` (the clients of their servers) on one new schema, with one outbox.
    static func withReplicas(_ body: (WireClient, WireClient, Outbox) async throws -> Void) async throws {
        try await withServiceHost(.auth) { host in
            let outbox = try Outbox(folder: "\(host.configuration.dataDirectory)/mail/outbox")
            let schema = PostgresTestServer.schema("auth")
            let folder = host.configuration.stateDirectory
            try await withUserStore(.postgres, folder: folder, schema: schema) { first in
                try await withUserStore(.postgres, folder: folder, schema: schema) { second in
                    // Many sign-ins of one user from one address, which the throttles would stop.
                    var settings = AuthHarness.settings()
                    settings.attemptsPerUsername = 1_000
                    settings.attemptsPerUsernameTotal = 1_000
                    settings.attemptsPerAddress = 1_000
                    let services = [first, second].map {
                        AuthService(store: $0, settings: settings, mail: outbox, logger: host.logger)
                    }
                    try await withWireServer(
                        service: "auth", router: AuthRouter.make(host: host, service: services[0])
                    ) { a in
                        try await withWireServer(
                            service: "auth", router: AuthRouter.make(host: host, service: services[1])
                        ) { b in
                            try await body(a.client(), b.client(), outbox)
                        }
                    }
                }
            }
        }
    }

    /// Signs `name` up on `signUp` and confirms the mailed code on `confirm`.
    static func confirmedUser(
        _ name: String, signUpOn signUp: WireClient, confirmOn confirm: WireClient, _ outbox: Outbox
    )
        async throws
    {
        _ = try await signUp.call(
            AuthContract.signUp,
            SignUpRequest(
                username: name, email: "\(name)@example.com", password: "Corr3ct-horse", client: AuthHarness.client))
        try await confirm.call(
            AuthContract.confirmSignUp,
            ConfirmRequest(username: name, code: outbox.code(for: "\(name)@example.com"), client: AuthHarness.client))
    }

    static func kid(of token: String) throws -> String {
        var header = String(try #require(token.split(separator: ".").first))
            .replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while !header.count.isMultiple(of: 4) { header += "=" }
        let json = try #require(Data(base64Encoded: header))
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        return try #require(object["kid"] as? String)
    }

    @Test func aUserSignedUpOnOneReplicaSignsInOnTheOtherWithTheKeyTheLatestRotationChose() async throws {
        try await Self.withReplicas { a, b, outbox in
            try await Self.confirmedUser("mia", signUpOn: a, confirmOn: b, outbox)
            let login = LoginRequest(username: "mia", password: "Corr3ct-horse", client: client)
            let first = try await b.call(AuthContract.login, login)
            #expect(
                try Self.kid(of: first.accessToken)
                    == Self.kid(of: try await a.call(AuthContract.login, login).accessToken))
            // A rotates; B's next token is signed with the new key, which A's key list carries.
            let rotation = try await a.call(AuthContract.rotateKey, Empty())
            let second = try await b.call(AuthContract.login, login)
            #expect(try Self.kid(of: second.accessToken) == rotation.kid)
            let keys = try await a.call(AuthContract.verificationKeys, Empty())
            #expect(keys.keys.map(\.kid).prefix(2) == [rotation.kid, try Self.kid(of: first.accessToken)])
            // B revokes the active key in an emergency; A signs with its replacement at once.
            let revoked = try await b.call(AuthContract.revokeKey, RevokeKeyRequest(kid: rotation.kid))
            let third = try await a.call(AuthContract.login, login)
            #expect(try Self.kid(of: third.accessToken) == revoked.activeKid)
            #expect(revoked.activeKid != rotation.kid)
            // A refresh token issued by A works on B.
            _ = try await b.call(AuthContract.refresh, RefreshRequest(refreshToken: third.refreshToken, client: client))
        }
    }

    @Test func oneNameSignedUpOnBothReplicasAtOnceGoesToOneUser() async throws {
        try await Self.withReplicas { a, b, _ in
            for round in 0..<8 {
                let results = try await withThrowingTaskGroup(of: WireError.Code?.self) { group in
                    for (index, replica) in [a, b].enumerated() {
                        group.addTask {
                            await wireCode {
                                _ = try await replica.call(
                                    AuthContract.signUp,
                                    SignUpRequest(
                                        username: "name\(round)", email: "\(index)-\(round)@example.com",
                                        password: "Corr3ct-horse", client: AuthHarness.client))
                            }
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(results.filter { $0 == nil }.count == 1, "round \(round): \(results)")
                #expect(results.contains(.usernameExists))
            }
        }
    }

    @Test func aRefreshTokenPresentedToBothReplicasAtOnceRotatesOnceAndRevokesItsSignIn() async throws {
        try await Self.withReplicas { a, b, outbox in
            try await Self.confirmedUser("ned", signUpOn: a, confirmOn: a, outbox)
            for _ in 0..<5 {
                let tokens = try await a.call(
                    AuthContract.login, LoginRequest(username: "ned", password: "Corr3ct-horse", client: client))
                let presented = RefreshRequest(refreshToken: tokens.refreshToken, client: client)
                let results = try await withThrowingTaskGroup(of: TokenSet?.self) { group in
                    for replica in [a, b] {
                        group.addTask { try? await replica.call(AuthContract.refresh, presented) }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                // One rotated it; the other presented a used-up token, which revoked the sign-in, so the
                // successor is refused too.
                let successors = results.compactMap { $0 }
                #expect(successors.count == 1)
                let refused = await wireCode {
                    _ = try await b.call(
                        AuthContract.refresh, RefreshRequest(refreshToken: successors[0].refreshToken, client: client))
                }
                #expect(refused == .notAuthorized)
            }
        }
    }

    /// Sign-outs on both replicas at once while a gateway-like reader follows the revocation list by
    /// sequence number: it sees every one, none skipped by a sequence that committed late.
    @Test func revocationsFromBothReplicasReachAReaderInOrderWithNoneSkipped() async throws {
        try await Self.withReplicas { a, b, outbox in
            try await Self.confirmedUser("ola", signUpOn: a, confirmOn: a, outbox)
            var refreshTokens: [String] = []
            var originJtis: Set<String> = []
            for _ in 0..<40 {
                let tokens = try await a.call(
                    AuthContract.login, LoginRequest(username: "ola", password: "Corr3ct-horse", client: client))
                refreshTokens.append(tokens.refreshToken)
                let keys = try await b.call(AuthContract.verificationKeys, Empty())
                let claims = try AuthFlowTests.verify(
                    tokens.accessToken, keys: keys, now: Int64(Date().timeIntervalSince1970))
                originJtis.insert(claims.originJti)
            }
            let tokens = refreshTokens
            let loggedOut = Flag()
            let seen = try await withThrowingTaskGroup(of: Set<String>.self) { group in
                group.addTask {
                    var after: Int64 = 0
                    var seen: Set<String> = []
                    while true {
                        // Read once more after the last logout answered: by then every revocation has
                        // committed, so what is still missing was skipped.
                        let last = loggedOut.isSet
                        let page = try await a.call(AuthContract.revocations, RevocationsRequest(after: after))
                        seen.formUnion(page.originJtis)
                        after = page.sequence
                        if last { return seen }
                        try await Task.sleep(for: .milliseconds(2))
                    }
                }
                try await withThrowingTaskGroup(of: Void.self) { logouts in
                    for (index, token) in tokens.enumerated() {
                        let replica = index.isMultiple(of: 2) ? a : b
                        logouts.addTask {
                            try await replica.call(
                                AuthContract.logout, RefreshRequest(refreshToken: token, client: AuthHarness.client))
                        }
                    }
                    try await logouts.waitForAll()
                }
                loggedOut.set()
                return try await group.reduce(into: Set<String>()) { $0.formUnion($1) }
            }
            #expect(seen == originJtis)
        }
    }
}

/// A flag one task sets and another reads.
final class Flag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}
