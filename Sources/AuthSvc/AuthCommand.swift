import ArgumentParser
import Foundation
import Mail
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

    @Option(help: "Issuer (iss) of the tokens (env CLEARSKY_TOKEN_ISSUER; default clearsky).")
    var issuer: String?

    @Option(help: "SMTP relay host:port for codes (env CLEARSKY_SMTP_ADDR; default: files in DATA/mail/outbox).")
    var smtp: String?

    func router(host: ServiceHost) throws -> WireRouter {
        let environment = ProcessInfo.processInfo.environment
        var settings = AuthSettings()
        if let iterations = try integerSetting(
            passwordIterations, flagName: "password-iterations", variable: "CLEARSKY_PASSWORD_ITERATIONS",
            in: 1...Int.max)
        {
            settings.passwordIterations = iterations
        }
        if let issuer = issuer ?? environment["CLEARSKY_TOKEN_ISSUER"] { settings.issuer = issuer }
        let mail = try MailConfiguration.delivery(smtp: smtp, dataDirectory: host.configuration.dataDirectory)
        return try AuthRouter.make(host: host, settings: settings, mail: mail)
    }
}
