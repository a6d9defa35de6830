import Contracts
import Foundation
import Logging
import Mail
import PostgresSupport
import ServiceRuntime
import Synchronization
import TestServers
import Testing
import Wire
import WireTesting

@testable import AuthSvc

/// A real AuthSvc (its store in a temporary folder, mail to an outbox) behind a real Wire server, a clock
/// the test moves, and cheap password hashing.
struct AuthHarness: Sendable {
    let client: WireClient
    let outbox: Outbox
    let service: AuthService
    let clock: TestClock

    static let client = ClientContext(address: "198.51.100.7")

    static func settings() -> AuthSettings {
        var settings = AuthSettings()
        settings.passwordIterations = 1_000
        return settings
    }

    /// The newest code mailed to `address`.
    func code(for address: String) throws -> String { try outbox.code(for: address) }

    /// Signs up, confirms with the mailed code and logs in.
    func signedIn(_ username: String, password: String = "Corr3ct-horse") async throws -> TokenSet {
        let email = "\(username)@example.com"
        _ = try await client.call(
            AuthContract.signUp,
            SignUpRequest(username: username, email: email, password: password, client: Self.client))
        try await client.call(
            AuthContract.confirmSignUp, ConfirmRequest(username: username, code: code(for: email), client: Self.client))
        return try await client.call(
            AuthContract.login, LoginRequest(username: username, password: password, client: Self.client))
    }
}

extension Outbox {
    /// The 6-digit code in the newest message to `address`.
    func code(for address: String) throws -> String {
        let text = try #require(try messages().last { $0.text.contains("To: \(address)") }?.text)
        return String(try #require(text.firstMatch(of: /code (\d{6})/)).1)
    }
}

/// Seconds since 1970, starting at the real time, moved by tests.
final class TestClock: Sendable {
    private let time = Mutex(Int64(Date().timeIntervalSince1970))
    var now: Int64 { time.withLock { $0 } }
    func advance(_ seconds: Int64) { time.withLock { $0 += seconds } }
}

/// An AuthSvc on `backend`: SQLite in the host's state folder, or PostgreSQL in a schema of its own.
func withAuthHarness(
    _ backend: StoreBackend = .sqlite, settings: AuthSettings = AuthHarness.settings(),
    _ body: (AuthHarness) async throws -> Void
) async throws {
    try await withServiceHost(.auth) { host in
        let folder = host.configuration.stateDirectory
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try await withUserStore(backend, folder: folder) { store in
            let outbox = try Outbox(folder: "\(host.configuration.dataDirectory)/mail/outbox")
            let clock = TestClock()
            let service = AuthService(
                store: store, settings: settings, mail: outbox, logger: host.logger, nowSeconds: { clock.now })
            try await withWireServer(
                service: ServiceName.auth.rawValue, router: AuthRouter.make(host: host, service: service)
            ) {
                harness in
                try await body(AuthHarness(client: harness.client(), outbox: outbox, service: service, clock: clock))
            }
        }
    }
}

/// A user store on `backend`: SQLite in `folder`, or PostgreSQL in a new schema (`schema`, when given, is
/// opened again: two replicas' stores on one pool).
func withUserStore(
    _ backend: StoreBackend, folder: String, schema: String = PostgresTestServer.schema("auth"),
    _ body: (any UserStore) async throws -> Void
) async throws {
    switch backend {
    case .sqlite:
        try await body(try SQLiteUserStore(path: "\(folder)/users.sqlite"))
    case .postgres:
        let store = try await PostgresUserStore.open(
            try DatabaseURL(try PostgresTestServer.url()), schema: schema, logger: Logger(label: "test"))
        try await store.database.closing { try await body(store) }
    }
}
