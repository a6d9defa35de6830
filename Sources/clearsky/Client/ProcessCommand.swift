import ArgumentParser
import Foundation

/// `clearsky process`: operations on one of my images or a local file, now.
struct ProcessCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "process",
        abstract: "Run operations on an image now: the result into a file, or saved to the gallery.",
        discussion: """
            Each --op is an operation and its parameters: 'resize width=800 fit=cover', 'blur sigma=2',
            'threshold method=otsu', 'color mode=gray', 'rotate degrees=90', 'crop x=0 y=0 width=100 height=100',
            'dehaze', 'autorotate', 'sharpen', 'flip axis=vertical'.
            """)
    @OptionGroup var options: ClientOptions
    @Argument(help: "An image ID of mine, or a local JPEG or PNG file.") var source: String
    @Option(name: .customLong("op"), help: "An operation (repeatable, applied in order).") var ops: [String] = []
    @Option(name: .shortAndLong, help: "Write the result here (- for stdout).") var output: String?
    @Option(help: "jpeg or png (default: the input's).") var format: String?
    @Option(help: "JPEG quality 1…100.") var quality: Int?
    @Flag(help: "Save the result to my gallery instead.") var save = false
    @Option(help: "The saved result's key.") var key: String?

    func validate() throws {
        if ops.isEmpty { throw ValidationError("give at least one --op, e.g. --op 'resize width=800'") }
        if !save, output == nil { throw ValidationError("give -o FILE for the result, or --save") }
        if let format, !["jpeg", "png"].contains(format) { throw ValidationError("--format is jpeg or png") }
        if let quality, !(1...100).contains(quality) { throw ValidationError("--quality is 1…100") }
        if key != nil, !save { throw ValidationError("--key names the saved result: add --save") }
    }

    func run() async throws {
        try await runClient {
            let operations = try OperationText.parse(ops)
            let client = try options.client()
            let body: RequestBody
            if LocalFile.exists(source) {
                let file = try LocalFile.read(source)
                var fields = [
                    ("ops", String(decoding: try JSONSerialization.data(withJSONObject: operations), as: UTF8.self))
                ]
                if let format { fields.append(("format", format)) }
                if let quality { fields.append(("quality", String(quality))) }
                if save { fields.append(("save", "true")) }
                if let key { fields.append(("key", key)) }
                body = .form(
                    fields: fields, file: .init(filename: file.name, contentType: file.contentType, bytes: file.bytes))
            } else {
                var object: [String: any Sendable] = ["imageId": source, "ops": operations]
                if let format { object["format"] = format }
                if let quality { object["quality"] = quality }
                if save { object["save"] = true }
                if let key { object["key"] = key }
                body = .json(object)
            }
            let answer = try await client.send(.POST, "/v1/process", body: body, timeout: .minutes(5))
            if save {
                if options.json { return Output.json(answer) }
                let image = try answer.object()
                return Output.line(
                    "Saved as \(image["id"] as? String ?? "?") (key \(Output.clean(image["key"] as? String ?? "")))")
            }
            try LocalFile.write(answer.body, to: output!)
            if output != "-" {
                if options.json { return Output.json(["written": output!, "size": answer.body.count]) }
                Output.line("Wrote \(Output.bytes(answer.body.count)) to \(output!).")
            }
        }
    }
}
