import ArgumentParser
import Foundation

/// The `clearsky` command: runs a whole cluster locally, talks to a running one as an operator, and
/// is a client of the REST API for everything a user does (noun, then verb, like `gh`).
@main
struct ClearskyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clearsky",
        abstract: "Clearsky, a self-hosted image platform.",
        discussion: """
            Client commands speak the REST API of the gateway at --server (env CLEARSKY_URL, default the signed-in session's, else http://127.0.0.1:8080); --json prints the API's JSON.

            Exit status: 1 the server refused, 2 bad usage, 3 the server cannot be reached.
            """,
        subcommands: [
            AuthCommand.self, ImageCommand.self, ProcessCommand.self, RecognizeCommand.self, SimilarCommand.self,
            JobCommand.self, TagsCommand.self, SubscriptionCommand.self,
            UpCommand.self, HealthCommand.self, RotateKeyCommand.self, RevokeKeyCommand.self, CertsCommand.self,
        ])

    /// As ArgumentParser's own, except that bad usage exits with 2 (its default is 64).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(CLIError.Kind.usage.rawValue)
            }
            exit(withError: error)
        }
    }
}
