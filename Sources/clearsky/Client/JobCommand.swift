import ArgumentParser
import Foundation

/// `clearsky job …`: the dehaze service, as the desktop client had it.
struct JobCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "job", abstract: "Submit dehaze jobs, follow them, fetch results by job ID, clear history.",
        subcommands: [Submit.self, List.self, Get.self, Result.self, Remove.self, Clear.self])

    static let final: Set<String> = ["completed", "error"]

    static func rows(_ jobs: [[String: Any]]) {
        Output.table(
            ["JOB ID", "STATUS", "FILE", "CREATED", "RESULT"],
            jobs.map { job in
                let status = job["status"] as? String ?? "?"
                return [
                    job["id"] as? String ?? "", status, job["originalFilename"] as? String ?? "",
                    job["createdAt"] as? String ?? "",
                    status == "error" ? (job["error"] as? String ?? "") : (job["resultImageId"] as? String ?? ""),
                ]
            })
    }

    struct Submit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Submit files as jobs (dehaze unless --op says otherwise); --wait follows them to the end.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "JPEG or PNG files.") var files: [String]
        @Option(name: .customLong("op"), help: "An operation instead of dehaze (repeatable).") var ops: [String] = []
        @Flag(help: "Wait until every job has finished, showing their status.") var wait = false

        func validate() throws { if files.isEmpty { throw ValidationError("name at least one file") } }

        func run() async throws {
            try await runClient {
                let client = try options.client()
                let operations = ops.isEmpty ? nil : try OperationText.parse(ops)
                var jobs: [[String: Any]] = []
                for path in files {
                    let file = try LocalFile.read(path)
                    var fields: [(String, String)] = []
                    if let operations {
                        fields.append(
                            (
                                "ops",
                                String(decoding: try JSONSerialization.data(withJSONObject: operations), as: UTF8.self)
                            ))
                    }
                    let bar = ProgressBar(file.name)
                    let answer = try await client.send(
                        .POST, "/v1/jobs",
                        body: .form(
                            fields: fields,
                            file: .init(filename: file.name, contentType: file.contentType, bytes: file.bytes)),
                        progress: { bar.update($0, $1) }, timeout: .minutes(10))
                    bar.finish()
                    let job = try answer.object()
                    jobs.append(job)
                    if !options.json, !wait {
                        Output.line("Submitted \(Output.clean(path)) as \(job["id"] as? String ?? "?").")
                    }
                }
                if wait { jobs = try await follow(jobs, client: client) }
                if options.json { return Output.json(["items": jobs]) }
                if wait { JobCommand.rows(jobs) }
                if wait, jobs.contains(where: { $0["status"] as? String == "error" }) {
                    throw ExitCode(CLIError.Kind.refused.rawValue)
                }
            }
        }

        /// Polls each job until it is final; on a terminal one status line per job, redrawn in place.
        private func follow(_ submitted: [[String: Any]], client: APIClient) async throws -> [[String: Any]] {
            var jobs = submitted
            let live = StandardError.isTerminal && !options.json
            var drawn = 0
            while true {
                for (index, job) in jobs.enumerated() where !JobCommand.final.contains(job["status"] as? String ?? "") {
                    let id = try Paths.segment(job["id"] as? String ?? "")
                    jobs[index] = try await client.send(.GET, "/v1/jobs/\(id)").object()
                }
                if live {
                    if drawn > 0 { StandardError.write("\u{1B}[\(drawn)A") }
                    for job in jobs {
                        StandardError.write(
                            "\r\u{1B}[2K\(job["id"] as? String ?? "")  \(job["status"] as? String ?? "")  "
                                + "\(Output.clean(job["originalFilename"] as? String ?? ""))\n")
                    }
                    drawn = jobs.count
                }
                if jobs.allSatisfy({ JobCommand.final.contains($0["status"] as? String ?? "") }) { break }
                try await Task.sleep(for: .milliseconds(300))
            }
            if live {
                StandardError.write("\u{1B}[\(drawn)A")
                for _ in jobs { StandardError.write("\r\u{1B}[2K\n") }
                StandardError.write("\u{1B}[\(drawn)A")
            }
            return jobs
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "My jobs, newest first.")
        @OptionGroup var options: ClientOptions
        @Option(help: "At most this many.") var limit: Int?

        func validate() throws { if let limit, limit < 1 { throw ValidationError("--limit must be 1 or more") } }

        func run() async throws {
            try await runClient {
                let jobs = try await Pages.collect(try options.client(), "/v1/jobs", limit: limit)
                if options.json { return Output.json(["items": jobs, "nextCursor": NSNull()]) }
                if jobs.isEmpty { return Output.line("No jobs.") }
                JobCommand.rows(jobs)
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One job: status, timings, result.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The job ID.") var id: String

        func run() async throws {
            try await runClient {
                let answer = try await options.client().send(.GET, "/v1/jobs/\(try Paths.segment(id))")
                if options.json { return Output.json(answer) }
                let job = try answer.object()
                JobCommand.rows([job])
                let timings = (job["timings"] as? [String: Any]) ?? [:]
                if !timings.isEmpty {
                    let order = ["fetch", "decode", "process", "encode", "store"]
                    let parts = timings.keys.sorted {
                        (order.firstIndex(of: $0) ?? 9) < (order.firstIndex(of: $1) ?? 9)
                    }
                    .map { "\($0) \(Int(((timings[$0] as? Double) ?? 0).rounded())) ms" }
                    Output.line("timings: " + parts.joined(separator: ", "))
                }
            }
        }
    }

    struct Result: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Download a completed job's result by its ID.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The job ID.") var id: String
        @Option(name: .shortAndLong, help: "Where to write it (- for stdout).") var output: String

        func run() async throws {
            try await runClient {
                let answer = try await options.client().send(
                    .GET, "/v1/jobs/\(try Paths.segment(id))/result", timeout: .minutes(10))
                try LocalFile.write(answer.body, to: output)
                if output == "-" { return }
                if options.json { return Output.json(["written": output, "size": answer.body.count]) }
                Output.line("Wrote \(Output.bytes(answer.body.count)) to \(output).")
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Delete jobs (their images stay).")
        @OptionGroup var options: ClientOptions
        @Argument(help: "Job IDs.") var ids: [String]

        func validate() throws { if ids.isEmpty { throw ValidationError("name at least one job ID") } }

        func run() async throws {
            try await runClient {
                let client = try options.client()
                for id in ids {
                    _ = try await client.send(.DELETE, "/v1/jobs/\(try Paths.segment(id))")
                    if !options.json { Output.line("Deleted \(id).") }
                }
                if options.json { Output.json(["deleted": ids]) }
            }
        }
    }

    struct Clear: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Clear the history: every finished job.")
        @OptionGroup var options: ClientOptions

        func run() async throws {
            try await runClient {
                let answer = try await options.client().send(.DELETE, "/v1/jobs")
                if options.json { return Output.json(answer) }
                Output.line("Cleared \(try answer.object()["count"] as? Int ?? 0) finished job(s).")
            }
        }
    }
}
