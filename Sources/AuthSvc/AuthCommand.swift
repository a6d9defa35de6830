import ArgumentParser
import ServiceRuntime
import Wire

/// The `AuthSvc` executable.
@main
struct AuthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "AuthSvc", abstract: "Clearsky's user pool: sign-up, passwords, codes, tokens and the key ring.")

    @OptionGroup var options: ServiceOptions

    func run() async throws {
        let host = ServiceHost(configuration: try options.resolve(for: .auth))
        try await host.run(router: AuthRouter.make(host: host))
    }
}
