import ArgumentParser
import Foundation

/// `clearsky image …`: uploads, the gallery, bytes, deletes, bulk tag edits and share links.
struct ImageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image", abstract: "Upload, list, fetch, tag, share and delete images.",
        subcommands: [Upload.self, List.self, Get.self, Remove.self, Tag.self, Share.self])

    struct Upload: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Upload JPEG or PNG files (a progress bar each on a terminal).")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The files.") var files: [String]
        @Option(help: "A name to find the image by (one file only).") var key: String?
        @Flag(help: "Everyone may see it, in the public gallery.") var `public` = false
        @Flag(help: "Replace the image under --key if there is one.") var overwrite = false

        func validate() throws {
            if files.isEmpty { throw ValidationError("name at least one file") }
            if key != nil, files.count > 1 { throw ValidationError("--key names one image: give one file with it") }
        }

        func run() async throws {
            try await runClient {
                let client = try options.client()
                var uploaded: [Any] = []
                var failures = 0
                for path in files {
                    do {
                        let file = try LocalFile.read(path)
                        var fields = [("visibility", `public` ? "public" : "private")]
                        if let key { fields.append(("key", key)) }
                        if overwrite { fields.append(("overwrite", "true")) }
                        let bar = ProgressBar(file.name)
                        let answer = try await client.send(
                            .POST, "/v1/images",
                            body: .form(
                                fields: fields,
                                file: .init(filename: file.name, contentType: file.contentType, bytes: file.bytes)),
                            progress: { bar.update($0, $1) }, timeout: .minutes(10))
                        bar.finish()
                        let image = try answer.object()
                        uploaded.append(image)
                        if !options.json {
                            Output.line(
                                "Uploaded \(Output.clean(path)) → \(image["id"] as? String ?? "?") "
                                    + "(\(Output.bytes(image["size"] as? Int ?? 0)), key \(Output.clean(image["key"] as? String ?? "")))"
                            )
                        }
                    } catch let error as CLIError where error.kind != .unreachable {
                        failures += 1
                        StandardError.write("clearsky: \(path): \(error.message)\n")
                    }
                }
                if options.json { Output.json(["items": uploaded]) }
                if failures > 0 { throw ExitCode(CLIError.Kind.refused.rawValue) }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "My images, newest first (every page unless --limit).")
        @OptionGroup var options: ClientOptions
        @Option(help: "Only images with these tags, e.g. person:2,dog.") var tags: String?
        @Flag(help: "Everyone's public images instead of mine.") var `public` = false
        @Option(help: "At most this many.") var limit: Int?

        func validate() throws {
            if let limit, limit < 1 { throw ValidationError("--limit must be 1 or more") }
            if tags != nil, `public` { throw ValidationError("--tags searches my images; leave out --public") }
        }

        func run() async throws {
            try await runClient {
                let items = try await Pages.collect(
                    try options.client(), `public` ? "/v1/gallery" : "/v1/images",
                    query: tags.map { [("tags", $0)] } ?? [], limit: limit)
                if options.json { return Output.json(["items": items, "nextCursor": NSNull()]) }
                if items.isEmpty { return Output.line("No images.") }
                Output.images(items)
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "An image's facts, or with -o its bytes written to a file (- for stdout).")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The image's ID.") var id: String?
        @Option(help: "Find it by key instead of ID.") var key: String?
        @Option(name: .shortAndLong, help: "Write the image's bytes here.") var output: String?

        func validate() throws {
            if (id == nil) == (key == nil) { throw ValidationError("give an image ID or --key, one of them") }
        }

        func run() async throws {
            try await runClient {
                let client = try options.client()
                let base =
                    if let id { "/v1/images/\(try Paths.segment(id))" } else {
                        "/v1/images/by-key/"
                            + (try key!.split(separator: "/", omittingEmptySubsequences: false)
                                .map { try Paths.segment(String($0)) }.joined(separator: "/"))
                    }
                if let output {
                    let answer = try await client.send(.GET, base + "/content", timeout: .minutes(10))
                    try LocalFile.write(answer.body, to: output)
                    if output != "-" {
                        if options.json { return Output.json(["written": output, "size": answer.body.count]) }
                        Output.line("Wrote \(Output.bytes(answer.body.count)) to \(output).")
                    }
                    return
                }
                let answer = try await client.send(.GET, base)
                if options.json { return Output.json(answer) }
                let image = try answer.object()
                let rows: [(String, String)] = [
                    ("ID", image["id"] as? String ?? ""), ("Key", image["key"] as? String ?? ""),
                    ("File", image["filename"] as? String ?? ""), ("Type", image["contentType"] as? String ?? ""),
                    ("Size", Output.bytes(image["size"] as? Int ?? 0)),
                    ("Dimensions", "\(image["width"] as? Int ?? 0)×\(image["height"] as? Int ?? 0)"),
                    ("SHA-256", image["sha256"] as? String ?? ""), ("Created", image["createdAt"] as? String ?? ""),
                    ("Visibility", image["visibility"] as? String ?? ""),
                    ("Tags", (image["tagging"] as? String) == "pending" ? "(tagging…)" : Output.tags(image)),
                ]
                for (name, value) in rows {
                    Output.line("\(name.padding(toLength: 11, withPad: " ", startingAt: 0))\(Output.clean(value))")
                }
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Delete images.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The images' IDs.") var ids: [String]

        func validate() throws { if ids.isEmpty { throw ValidationError("name at least one image ID") } }

        func run() async throws {
            try await runClient {
                let client = try options.client()
                for id in ids {
                    _ = try await client.send(.DELETE, "/v1/images/\(try Paths.segment(id))")
                    if !options.json { Output.line("Deleted \(id).") }
                }
                if options.json { Output.json(["deleted": ids]) }
            }
        }
    }

    struct Tag: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add and remove tags on several images at once.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The images' IDs.") var ids: [String]
        @Option(help: "Tags to add, tag[:count],… (repeatable).") var add: [String] = []
        @Option(help: "Tags to remove, comma-separated (repeatable).") var remove: [String] = []

        func validate() throws {
            if ids.isEmpty { throw ValidationError("name at least one image ID") }
            if add.isEmpty, remove.isEmpty { throw ValidationError("give --add or --remove") }
        }

        func run() async throws {
            try await runClient {
                var added: [[String: any Sendable]] = []
                for term in add.flatMap({ $0.split(separator: ",") }) {
                    let text = term.trimmingCharacters(in: .whitespaces)
                    guard let colon = text.lastIndex(of: ":") else {
                        added.append(["tag": text])
                        continue
                    }
                    guard let count = Int(text[text.index(after: colon)...]) else {
                        throw CLIError.usage("--add \(text): the count after ':' must be a whole number")
                    }
                    added.append(["tag": String(text[..<colon]), "count": count])
                }
                let removed = remove.flatMap { $0.split(separator: ",") }.map {
                    $0.trimmingCharacters(in: .whitespaces)
                }
                let answer = try await options.client().send(
                    .POST, "/v1/tags/bulk", body: .json(["imageIds": ids, "add": added, "remove": removed]))
                if options.json { return Output.json(answer) }
                Output.images((try answer.object()["items"] as? [[String: Any]]) ?? [])
            }
        }
    }

    struct Share: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A link that opens the image without an account (--revoke ends it).")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The image's ID.") var id: String
        @Option(help: "How long the link works: 90s, 30m, 12h, 7d (60 s … 365 d).") var expires = "7d"
        @Flag(help: "Revoke the image's share link instead.") var revoke = false

        func run() async throws {
            try await runClient {
                let client = try options.client()
                let path = "/v1/images/\(try Paths.segment(id))/share"
                if revoke {
                    _ = try await client.send(.DELETE, path)
                    if options.json { return Output.json(["revoked": id]) }
                    return Output.line("The share link of \(id) no longer works.")
                }
                let answer = try await client.send(
                    .POST, path, body: .json(["expiresIn": try DurationText.seconds(expires, option: "--expires")]))
                if options.json { return Output.json(answer) }
                let link = try answer.object()
                Output.line(link["url"] as? String ?? "")
                Output.line("works until \(link["expiresAt"] as? String ?? "?")")
            }
        }
    }
}
