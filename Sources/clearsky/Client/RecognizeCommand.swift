import ArgumentParser
import Foundation

/// `clearsky recognize FILE`: what the detector sees, nothing stored.
struct RecognizeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recognize", abstract: "Detect objects in a local image: label, confidence and box.")
    @OptionGroup var options: ClientOptions
    @Argument(help: "A JPEG or PNG file.") var file: String

    func run() async throws {
        try await runClient {
            let image = try LocalFile.read(file)
            let answer = try await options.client().send(
                .POST, "/v1/recognize", body: .bytes(image.bytes, contentType: image.contentType), timeout: .minutes(2))
            if options.json { return Output.json(answer) }
            let found = (try answer.object()["detections"] as? [[String: Any]]) ?? []
            if found.isEmpty { return Output.line("Nothing recognised.") }
            Output.table(
                ["LABEL", "CONFIDENCE", "BOX (x, y, width, height)"],
                found.map { detection in
                    let box = detection["box"] as? [String: Any] ?? [:]
                    let numbers = ["x", "y", "width", "height"].map {
                        String(Int(((box[$0] as? Double) ?? 0).rounded()))
                    }
                    return [
                        detection["label"] as? String ?? "?",
                        String(format: "%.0f%%", ((detection["confidence"] as? Double) ?? 0) * 100),
                        numbers.joined(separator: ", "),
                    ]
                })
        }
    }
}
