import ArgumentParser
import Foundation

/// `clearsky similar FILE`: my images with every tag detected in the file.
struct SimilarCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "similar", abstract: "My images that carry every tag detected in a local image.")
    @OptionGroup var options: ClientOptions
    @Argument(help: "A JPEG or PNG file.") var file: String

    func run() async throws {
        try await runClient {
            let image = try LocalFile.read(file)
            let answer = try await options.client().send(
                .POST, "/v1/search/similar", query: [("limit", "200")],
                body: .bytes(image.bytes, contentType: image.contentType), timeout: .minutes(2))
            if options.json { return Output.json(answer) }
            let result = try answer.object()
            let tags = ((result["tags"] as? [[String: Any]]) ?? []).map { tag in
                let count = tag["count"] as? Int ?? 1
                return count > 1 ? "\(tag["tag"] as? String ?? "?") ×\(count)" : tag["tag"] as? String ?? "?"
            }
            Output.line("Detected: \(tags.isEmpty ? "nothing" : tags.joined(separator: ", "))")
            let items = (result["items"] as? [[String: Any]]) ?? []
            if items.isEmpty { return Output.line("No image of yours matches.") }
            Output.images(items)
        }
    }
}
