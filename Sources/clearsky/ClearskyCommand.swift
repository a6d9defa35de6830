import ArgumentParser

/// The `clearsky` command: runs a whole cluster locally, and talks to a running one.
@main
struct ClearskyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clearsky",
        abstract: "Clearsky, a self-hosted image platform.",
        subcommands: [UpCommand.self, HealthCommand.self, RotateKeyCommand.self])
}
