import ArgumentParser
import Contracts
import Foundation
import Mail
import PostgresSupport
import ServiceLifecycle
import ServiceRuntime
import Wire

/// The `AuthSvc` executable.
@main
struct AuthCommand: WireServiceCommand {
    static let configuration = CommandConfiguration(
        commandName: "AuthSvc", abstract: "Clearsky's user pool: sign-up, passwords, codes, tokens and the key ring.")

    static let service = ServiceName.auth

    @OptionGroup var options: ServiceOptions

    @Option(help: "PBKDF2 iterations for new password hashes (env CLEARSKY_PASSWORD_ITERATIONS; default 600000).")
    var passwordIterations: Int?

    @Option(
        help:
            "Attempts of one sign-in flow per username from one address in 15 minutes (env CLEARSKY_LOGIN_ATTEMPTS; default 10; ten times that from all addresses)."
    )
    var loginAttempts: Int?

    @Option(help: "Issuer (iss) of the tokens (env CLEARSKY_TOKEN_ISSUER; default clearsky).")
    var issuer: String?

    @Option(help: "SMTP relay host:port for codes (env CLEARSKY_SMTP_ADDR; default: files in DATA/mail/outbox).")
    var smtp: String?

    func parts(host: ServiceHost, credentials: WireCredentials) async throws -> (
        router: WireRouter, services: [any Service]
    ) {
        let environment = ProcessInfo.processInfo.environment
        var settings = AuthSettings()
        if let iterations = try integerSetting(
            passwordIterations, flagName: "password-iterations", variable: "CLEARSKY_PASSWORD_ITERATIONS",
            in: 1...Int.max)
        {
            settings.passwordIterations = iterations
        }
        if let issuer = issuer ?? environment["CLEARSKY_TOKEN_ISSUER"] { settings.issuer = issuer }
        if let attempts = try integerSetting(
            loginAttempts, flagName: "login-attempts", variable: "CLEARSKY_LOGIN_ATTEMPTS", in: 1...10_000)
        {
            settings.attemptsPerUsername = attempts
            settings.attemptsPerUsernameTotal = attempts * 10
        }
        // Mail goes over SMTP when configured, else to the outbox folder.
        let configuration = host.configuration
        let mail = try MailConfiguration.delivery(smtp: smtp, dataDirectory: configuration.dataDirectory)
        let store: any UserStore
        if let url = configuration.databaseURL {
            let postgres = try await PostgresUserStore.open(try DatabaseURL(url), logger: host.logger)
            host.atExit { await postgres.database.close() }
            store = postgres
        } else {
            store = try SQLiteUserStore(path: "\(configuration.stateDirectory)/users.sqlite")
        }
        // The first start of a pool makes its signing key now rather than at the first sign-in.
        let service = AuthService(store: store, settings: settings, mail: mail, logger: host.logger)
        _ = try await service.activeKey()
        let pruning = Pruning(every: host.configuration.pruneInterval, logger: host.logger) {
            try await service.prune()
        }
        return (AuthRouter.make(host: host, service: service), [pruning])
    }
}
