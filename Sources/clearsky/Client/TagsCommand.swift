import ArgumentParser
import Foundation

/// `clearsky tags`: my tags with how many images carry each.
struct TagsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tags", abstract: "My tags with their image counts.")
    @OptionGroup var options: ClientOptions

    func run() async throws {
        try await runClient {
            let answer = try await options.client().send(.GET, "/v1/tags")
            if options.json { return Output.json(answer) }
            let items = (try answer.object()["items"] as? [[String: Any]]) ?? []
            if items.isEmpty { return Output.line("No tags yet.") }
            Output.table(
                ["TAG", "IMAGES"], items.map { [$0["tag"] as? String ?? "", String($0["images"] as? Int ?? 0)] })
        }
    }
}
