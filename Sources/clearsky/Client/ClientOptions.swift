import ArgumentParser

/// Options every client command takes.
struct ClientOptions: ParsableArguments {
    @Option(help: "The gateway's URL (env CLEARSKY_URL; default: the signed-in session's, else http://127.0.0.1:8080).")
    var server: String?

    @Flag(help: "Print the API's JSON on stdout (for scripts) instead of tables.")
    var json = false

    func client() throws -> APIClient { try APIClient(server: server) }
}
