import AccessTokens
import Contracts
import Foundation
import Hummingbird
import HummingbirdTesting
import Mail
import Prometheus
import ServiceRuntime
import Testing
import Wire
import WireTesting

@testable import AuthSvc
@testable import Gateway

/// The account flows through HTTP: the gateway in front of a real AuthSvc over Wire.
@Suite struct AccountJourneyTests {
    struct Fixture: Sendable {
        let outbox: Outbox
        let authClient: WireClient

        func code(for address: String) throws -> String {
            let text = try #require(try outbox.messages().last { $0.text.contains("To: \(address)") }?.text)
            return String(try #require(text.firstMatch(of: /code (\d{6})/)).1)
        }

        func signingKey() async throws -> SigningKey {
            let keys = try await authClient.call(AuthContract.verificationKeys, Empty())
            return SigningKey(kid: keys.keys[0].kid, secret: keys.keys[0].secret)
        }
    }

    func withGateway(
        keyMaxAge: Duration = .seconds(30),
        _ body: @escaping @Sendable (Fixture, any TestClientProtocol) async throws -> Void
    ) async throws {
        try await withServiceHost(.auth) { host in
            var settings = AuthSettings()
            settings.passwordIterations = 1_000
            let outbox = try Outbox(folder: host.configuration.dataDirectory + "/mail/outbox")
            let service = try AuthService(
                store: SQLiteUserStore(path: host.configuration.stateDirectory + ".sqlite"), settings: settings,
                mail: outbox,
                logger: host.logger)
            let auth = (service: ServiceName.auth.rawValue, router: AuthRouter.make(host: host, service: service))
            try await withWireServers([auth]) { endpoints in
                var peers: [ServiceName: WireEndpoint] = [:]
                for service in ServiceName.backends {
                    peers[service] = endpoints[service.rawValue] ?? WireEndpoint(host: "127.0.0.1", port: 1)
                }
                let backends = Backends(peers: peers, credentials: .plain(WireHarness.secret))
                let verifier = TokenVerifier(revocationMaxAge: .zero, keyMaxAge: keyMaxAge) {
                    try backends.client(.auth)
                }
                let app = Application(
                    router: GatewayApp.router(backends: backends, registry: .init(), verifier: verifier))
                let fixture = Fixture(outbox: outbox, authClient: try backends.client(.auth))
                try await app.test(.router) { client in try await body(fixture, client) }
            }
        }
    }

    func json(_ object: [String: String]) -> ByteBuffer {
        ByteBuffer(data: try! JSONSerialization.data(withJSONObject: object))
    }

    func post(_ client: any TestClientProtocol, _ path: String, _ body: [String: String], token: String? = nil)
        async throws -> TestResponse
    {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await client.execute(uri: path, method: .post, headers: headers, body: json(body))
    }

    func get(_ client: any TestClientProtocol, _ path: String, token: String?) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await client.execute(uri: path, method: .get, headers: headers)
    }

    func errorCode(_ response: TestResponse) -> String? {
        let object = try? JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: [String: String]]
        return object?["error"]?["code"]
    }

    func decode<T: Decodable>(_ type: T.Type, _ response: TestResponse) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(buffer: response.body))
    }

    /// `clearsky revoke-key`'s call: the gateway stops accepting the key's tokens once its key cache is
    /// older than its age (here 1 s; 30 s by default, at most 60), and signing in again works at once.
    @Test func aRevokedKeyStopsVerifyingWithinTheKeyCacheAge() async throws {
        try await withGateway(keyMaxAge: .seconds(1)) { fixture, client in
            _ = try await post(
                client, "/v1/auth/signup",
                ["username": "olivia", "email": "o@example.com", "password": "Corr3ct-horse"])
            _ = try await post(
                client, "/v1/auth/confirm", ["username": "olivia", "code": try fixture.code(for: "o@example.com")])
            let login = ["username": "olivia", "password": "Corr3ct-horse"]
            let tokens = try decode(TokenSet.self, try await post(client, "/v1/auth/login", login))
            #expect(try await get(client, "/v1/me", token: tokens.accessToken).status == .ok)
            let kid = try await fixture.signingKey().kid
            let revocation = try await fixture.authClient.call(AuthContract.revokeKey, RevokeKeyRequest(kid: kid))
            #expect(revocation.kid == kid && revocation.activeKid != kid)
            try await Task.sleep(for: .milliseconds(1_200))
            let refused = try await get(client, "/v1/me", token: tokens.accessToken)
            #expect(refused.status == .unauthorized && errorCode(refused) == "NotAuthorized")
            let again = try decode(TokenSet.self, try await post(client, "/v1/auth/login", login))
            #expect(try await get(client, "/v1/me", token: again.accessToken).status == .ok)
        }
    }

    @Test func signUpConfirmLoginMeRefreshLogout() async throws {
        try await withGateway { fixture, client in
            let signUp = try await post(
                client, "/v1/auth/signup",
                ["username": "mallory", "email": "m@example.com", "password": "Corr3ct-horse"])
            #expect(signUp.status == .created)
            let created = try decode(SignUpResponse.self, signUp)
            #expect(!created.confirmed && created.delivery.destination == "m***@example.com")
            let confirm = try await post(
                client, "/v1/auth/confirm", ["username": "mallory", "code": try fixture.code(for: "m@example.com")])
            #expect(confirm.status == .noContent)
            let login = try await post(client, "/v1/auth/login", ["username": "mallory", "password": "Corr3ct-horse"])
            #expect(login.status == .ok)
            let tokens = try decode(TokenSet.self, login)
            let me = try await get(client, "/v1/me", token: tokens.accessToken)
            #expect(me.status == .ok)
            #expect(try decode(UserInfo.self, me).username == "mallory")
            let refresh = try await post(client, "/v1/auth/refresh", ["refreshToken": tokens.refreshToken])
            #expect(refresh.status == .ok)
            let refreshed = try decode(TokenSet.self, refresh)
            let logout = try await post(client, "/v1/auth/logout", ["refreshToken": refreshed.refreshToken])
            #expect(logout.status == .noContent)
            let again = try await post(client, "/v1/auth/refresh", ["refreshToken": refreshed.refreshToken])
            #expect(again.status == .unauthorized && errorCode(again) == "NotAuthorized")
            // The sign-in is revoked: its access tokens stop working too.
            let revoked = try await get(client, "/v1/me", token: refreshed.accessToken)
            #expect(revoked.status == .unauthorized)
        }
    }

    @Test func forgedAndWrongTokensAreRefused() async throws {
        try await withGateway { fixture, client in
            _ = try await post(
                client, "/v1/auth/signup", ["username": "trent", "email": "t@example.com", "password": "Corr3ct-horse"])
            _ = try await post(
                client, "/v1/auth/confirm", ["username": "trent", "code": try fixture.code(for: "t@example.com")])
            let tokens = try decode(
                TokenSet.self,
                try await post(client, "/v1/auth/login", ["username": "trent", "password": "Corr3ct-horse"]))
            let key = try await fixture.signingKey()
            let now = Int(Date().timeIntervalSince1970)
            let parts = tokens.accessToken.split(separator: ".").map(String.init)
            func base64(_ text: String) -> String {
                Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                    .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            }
            func claims(
                exp: Int = now + 600, iat: Int = now, use: TokenClaims.TokenUse = .access, iss: String = "clearsky",
                client: String = "clearsky"
            ) -> TokenClaims {
                TokenClaims(
                    sub: "x", iss: iss, tokenUse: use, authTime: now, iat: iat, exp: exp, jti: "j", originJti: "o",
                    username: "trent", clientId: client)
            }
            let forged: [(String, String)] = [
                ("alg none", base64(#"{"alg":"none","kid":"\#(key.kid)"}"#) + "." + parts[1] + "."),
                (
                    "other key",
                    JWT.sign(claims(), with: SigningKey(kid: key.kid, secret: Array(repeating: 1, count: 32)))
                ),
                ("edited payload", parts[0] + "." + base64(#"{"sub":"someone-else"}"#) + "." + parts[2]),
                ("expired past the leeway", JWT.sign(claims(exp: now - 60), with: key)),
                ("issued in the future", JWT.sign(claims(iat: now + 600), with: key)),
                ("another client", JWT.sign(claims(client: "other-app"), with: key)),
                ("id token", tokens.idToken),
                ("wrong issuer", JWT.sign(claims(iss: "https://evil.example"), with: key)),
                ("garbage", "not-a-token"),
            ]
            for (name, token) in forged {
                let response = try await get(client, "/v1/me", token: token)
                #expect(response.status == .unauthorized, "\(name)")
                #expect(errorCode(response) == "NotAuthorized", "\(name)")
            }
            #expect(try await get(client, "/v1/me", token: nil).status == .unauthorized)
            #expect(try await get(client, "/v1/me", token: tokens.accessToken).status == .ok)
        }
    }

    @Test func errorsHaveCognitoNamesAndStatuses() async throws {
        try await withGateway { fixture, client in
            let weak = try await post(
                client, "/v1/auth/signup", ["username": "peggy", "email": "p@example.com", "password": "weak"])
            #expect(weak.status == .badRequest && errorCode(weak) == "InvalidPassword")
            let huge = try await post(
                client, "/v1/auth/signup",
                [
                    "username": String(repeating: "x", count: 10_000), "email": "p@example.com",
                    "password": "Corr3ct-horse",
                ])
            #expect(huge.status == .badRequest && errorCode(huge) == "InvalidParameter")
            _ = try await post(
                client, "/v1/auth/signup", ["username": "peggy", "email": "p@example.com", "password": "Corr3ct-horse"])
            let exists = try await post(
                client, "/v1/auth/signup", ["username": "Peggy", "email": "q@example.com", "password": "Corr3ct-horse"])
            #expect(exists.status == .conflict && errorCode(exists) == "UsernameExists")
            let unconfirmed = try await post(
                client, "/v1/auth/login", ["username": "peggy", "password": "Corr3ct-horse"])
            #expect(unconfirmed.status == .forbidden && errorCode(unconfirmed) == "UserNotConfirmed")
            let mismatch = try await post(client, "/v1/auth/confirm", ["username": "peggy", "code": "12345x"])
            #expect(mismatch.status == .badRequest && errorCode(mismatch) == "CodeMismatch")
            let malformed = try await client.execute(
                uri: "/v1/auth/login", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: "{not json"))
            #expect(malformed.status == .badRequest)
            let oversized = try await post(
                client, "/v1/auth/login", ["username": String(repeating: "y", count: 70_000), "password": "x"])
            #expect(oversized.status == .contentTooLarge)
        }
    }

    @Test func bruteForceGets429WithRetryAfter() async throws {
        try await withGateway { _, client in
            var last: TestResponse?
            for _ in 0..<11 {
                last = try await post(client, "/v1/auth/login", ["username": "victim", "password": "Gu3ss-wrong!"])
            }
            let response = try #require(last)
            #expect(response.status == .tooManyRequests && errorCode(response) == "TooManyRequests")
            let retryAfter = try #require(response.headers[.retryAfter].flatMap { Int($0) })
            #expect(retryAfter > 0 && retryAfter <= 900)
        }
    }
}
