import ArgumentParser
import ServiceRuntime
import Wire

/// The `AuthSvc` executable.
@main
struct AuthCommand: WireServiceCommand {
    static let configuration = CommandConfiguration(
        commandName: "AuthSvc", abstract: "Clearsky's user pool: sign-up, passwords, codes, tokens and the key ring.")

    static let service = ServiceName.auth

    @OptionGroup var options: ServiceOptions

    static func router(host: ServiceHost) -> WireRouter { AuthRouter.make(host: host) }
}
