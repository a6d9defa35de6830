import Contracts
import Foundation
import Logging
import Mail
import Synchronization
import Testing
import Wire
import WireTesting

@testable import AuthSvc

/// Records every log line, with its metadata, at trace level.
struct CapturingLogHandler: LogHandler {
    let lines: Mutex<[String]>.Shared
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        lines.value.withLock { $0.append("\(event.level) \(event.message) \(all)") }
    }
}

extension Mutex where Value: Sendable {
    /// A mutex behind a reference, so copies of a handler share it.
    final class Shared: Sendable {
        let value: Mutex<Value>
        init(_ initial: Value) { value = Mutex(initial) }
    }
}

@Suite struct SecretsInLogsTests {
    @Test func passwordsCodesAndTokensNeverReachTheLog() async throws {
        let lines = Mutex<[String]>.Shared([])
        var logger = Logger(label: "auth-test") { _ in CapturingLogHandler(lines: lines) }
        logger.logLevel = .trace
        try await withServiceHost(.auth) { host in
            let outbox = try Outbox(folder: host.configuration.dataDirectory + "/outbox")
            let service = try AuthService(
                store: SQLiteUserStore(path: host.configuration.stateDirectory + ".sqlite"),
                settings: AuthHarness.settings(),
                mail: outbox, logger: logger)
            let client = AuthHarness.client
            let password = "Sup3r-secret-pw"
            _ = try await service.signUp(
                SignUpRequest(username: "lena", email: "lena@example.com", password: password, client: client))
            let code = try outbox.code(for: "lena@example.com")
            try await service.confirmSignUp(ConfirmRequest(username: "lena", code: code, client: client))
            let tokens = try await service.login(LoginRequest(username: "lena", password: password, client: client))
            _ = try? await service.login(LoginRequest(username: "lena", password: "Wr0ng-guess!", client: client))
            let refreshed = try await service.refresh(RefreshRequest(refreshToken: tokens.refreshToken, client: client))
            _ = try? await service.refresh(RefreshRequest(refreshToken: tokens.refreshToken, client: client))
            let logged = lines.value.withLock { $0 }.joined(separator: "\n")
            #expect(!logged.isEmpty)
            for secret in [
                password, "Wr0ng-guess!", code, tokens.accessToken, tokens.idToken, tokens.refreshToken,
                refreshed.refreshToken,
            ] {
                #expect(!logged.contains(secret), "a secret reached the log")
            }
        }
    }
}
