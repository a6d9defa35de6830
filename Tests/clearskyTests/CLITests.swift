import AsyncHTTPClient
import Foundation
import Imaging
import TestImages
import Testing
import WireTesting

/// The `clearsky` client commands as a person or a script uses them: the built binary as a subprocess,
/// against a real `clearsky up`, with its own config folder, through every command.
@Suite(.serialized) struct CLITests {
    /// The binary with a config folder of its own.
    struct CLI {
        let home: String
        let server: String

        /// Runs `clearsky ARGUMENTS` with `input` on stdin; stdout and stderr go to files (a pipe read
        /// after exit could fill up and stall a command that prints an image).
        /// With `after`, `input` is typed only once stdout shows that text (a prompt), as a person would.
        func run(
            _ arguments: [String], input: String? = nil, after prompt: String? = nil, server: String? = nil,
            executable: String? = nil
        ) async throws -> (status: Int32, out: String, err: String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable ?? "\(UpTests.binaryDirectory)/clearsky")
            process.arguments = arguments
            var environment = ProcessInfo.processInfo.environment
            environment["XDG_CONFIG_HOME"] = home
            environment["CLEARSKY_URL"] = server ?? self.server
            process.environment = environment
            let out = "\(home)/out-\(UUID())", err = "\(home)/err-\(UUID())"
            FileManager.default.createFile(atPath: out, contents: nil)
            FileManager.default.createFile(atPath: err, contents: nil)
            process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
            let stdin = Pipe()
            process.standardInput = stdin
            let typing = Task {
                if let prompt {
                    _ = try? await eventually(timeout: .seconds(20)) {
                        (try? String(contentsOfFile: out, encoding: .utf8))?.contains(prompt) == true
                    }
                }
                // A command that exits without reading its stdin closes the pipe: nothing to type then.
                try? stdin.fileHandleForWriting.write(contentsOf: Data((input ?? "").utf8))
                try? stdin.fileHandleForWriting.close()
            }
            let status = try await runToExit(process)
            await typing.value
            let result = (
                status, try String(contentsOfFile: out, encoding: .utf8),
                try String(contentsOfFile: err, encoding: .utf8)
            )
            // Never a backtrace or a crash, whatever the outcome.
            #expect(!result.2.contains("Fatal error") && !result.2.contains("Current stack trace"), "\(arguments)")
            #expect(status >= 0 && status <= 3, "\(arguments) exited \(status): \(result.2)")
            return result
        }

        /// Runs a command that must succeed, with `--json`, and returns the JSON object it printed.
        func json(_ arguments: [String], input: String? = nil) async throws -> [String: Any] {
            let result = try await run(arguments + ["--json"], input: input)
            #expect(result.status == 0, "\(arguments): \(result.err)")
            return try #require(
                try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any], "\(result.out)")
        }

        var session: [String: Any]? {
            FileManager.default.contents(atPath: "\(home)/clearsky/session.json").flatMap {
                try? JSONSerialization.jsonObject(with: $0) as? [String: Any]
            }
        }

        func mailedCode(_ data: String, to address: String) throws -> String {
            let outbox = "\(data)/mail/outbox"
            let mail = try FileManager.default.contentsOfDirectory(atPath: outbox).sorted().reversed().map {
                try String(contentsOfFile: "\(outbox)/\($0)", encoding: .utf8)
            }.filter { $0.contains("To: \(address)") }
            return String(try #require(mail.compactMap { $0.firstMatch(of: /code (\d{6})/) }.first).1)
        }
    }

    static func mode(_ path: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    @Test func aSessionThroughEveryCommand() async throws {
        let cluster = try await FaultTests.Cluster.start()
        do {
            try await session(cluster)
        } catch {
            // A failure must not leave the cluster running (its output pipe would keep the run waiting).
            try? await cluster.stop()
            throw error
        }
        try await cluster.stop()
    }

    private func session(_ cluster: FaultTests.Cluster) async throws {
        let home = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: home) }
        let cli = CLI(home: home, server: cluster.base)
        let files = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: files) }
        let building = "\(files)/building.jpg", street = "\(files)/street.jpg", fruit = "\(files)/fruits.jpg"
        try Data(TestImages.building).write(to: URL(fileURLWithPath: building))
        try Data(TestImages.street).write(to: URL(fileURLWithPath: street))
        try Data(TestImages.fruits).write(to: URL(fileURLWithPath: fruit))
        try "not a picture".write(toFile: "\(files)/notes.jpg", atomically: true, encoding: .utf8)

        // Accounts: sign up, a wrong code in words, the mailed code, sign in; the session is private.
        let created = try await cli.run(
            ["auth", "signup", "--username", "cleo", "--email", "cleo@example.com", "--password-stdin"],
            input: "Corr3ct-horse\n")
        #expect(created.status == 0 && created.out.contains("clearsky auth confirm"), "\(created)")
        let weak = try await cli.run(
            ["auth", "signup", "--username", "weakling", "--email", "w@example.com", "--password-stdin"], input: "abc\n"
        )
        #expect(weak.status == 1 && weak.err.hasPrefix("clearsky: ") && weak.err.contains("(InvalidPassword)"))
        #expect(weak.err.split(separator: "\n").count == 1)
        #expect(try await cli.run(["auth", "resend-code", "--username", "cleo"]).status == 0)
        let wrong = try await cli.run(["auth", "confirm", "--username", "cleo", "--code", "000000"])
        #expect(wrong.status == 1 && wrong.err.contains("(CodeMismatch)"), "\(wrong)")
        let code = try cli.mailedCode(cluster.data, to: "cleo@example.com")
        #expect(try await cli.run(["auth", "confirm", "--username", "cleo", "--code", code]).status == 0)
        let piped = try await cli.run(["auth", "login", "--username", "cleo"], input: "Corr3ct-horse\n")
        #expect(piped.status == 2 && piped.err.contains("--password-stdin"), "no prompt on a pipe")
        let login = try await cli.run(
            ["auth", "login", "--username", "cleo", "--password-stdin"], input: "Corr3ct-horse\n")
        #expect(login.status == 0 && login.out.contains("as cleo"), "\(login)")
        #expect(try Self.mode("\(home)/clearsky") == 0o700 && Self.mode("\(home)/clearsky/session.json") == 0o600)
        #expect(try await cli.run(["auth", "whoami"]).out.contains("cleo <cleo@example.com>"))
        #expect(try await cli.json(["auth", "whoami"])["username"] as? String == "cleo")

        // On a terminal (util-linux `script` gives the command a pty): the password prompt does not
        // echo what is typed, and an upload draws its progress bar.
        let typed = try await cli.run(
            ["-qec", "\(UpTests.binaryDirectory)/clearsky auth login --username cleo", "/dev/null"],
            input: "Corr3ct-horse\n", after: "Password:", executable: "/usr/bin/script")
        #expect(typed.status == 0 && typed.out.contains("Password:") && typed.out.contains("as cleo"), "\(typed)")
        #expect(!typed.out.contains("Corr3ct-horse"), "the password was echoed")
        let drawn = try await cli.run(
            ["-qec", "\(UpTests.binaryDirectory)/clearsky image upload \(building)", "/dev/null"],
            executable: "/usr/bin/script")
        #expect(drawn.status == 0 && drawn.out.contains("100%") && drawn.out.contains("Uploaded"), "\(drawn)")
        #expect(
            try await cli.json([
                "image", "rm", try #require(drawn.out.firstMatch(of: /→ (img_[0-9a-f]+)/)).1.description,
            ])["deleted"] != nil)

        // Images: uploads (piped: nothing on stderr), a refusal with its reason, list, get, bytes.
        let upload = try await cli.run(["image", "upload", building, street])
        #expect(upload.status == 0 && upload.err.isEmpty && upload.out.split(separator: "\n").count == 2, "\(upload)")
        let refused = try await cli.run(["image", "upload", "\(files)/notes.jpg"])
        #expect(
            refused.status == 1 && refused.err.contains("notes.jpg") && refused.err.contains("(UnsupportedMediaType)"),
            "\(refused)")
        let keyed = try await cli.json(["image", "upload", fruit, "--key", "trip/fruit.jpg", "--public"])
        let fruitId = try #require(((keyed["items"] as? [[String: Any]])?.first)?["id"] as? String)
        #expect(try await cli.run(["image", "upload", building, street, "--key", "k"]).status == 2)
        let mine = try #require(try await cli.json(["image", "list"])["items"] as? [[String: Any]])
        #expect(mine.count == 3)
        #expect((try await cli.json(["image", "list", "--limit", "1"])["items"] as? [Any])?.count == 1)
        let everyone = try #require(try await cli.json(["image", "list", "--public"])["items"] as? [[String: Any]])
        #expect(everyone.map { $0["id"] as? String } == [fruitId])
        let facts = try await cli.run(["image", "get", fruitId])
        #expect(facts.status == 0 && facts.out.contains("trip/fruit.jpg") && facts.out.contains("SHA-256"))
        let copy = "\(files)/copy.jpg"
        #expect(try await cli.run(["image", "get", "--key", "trip/fruit.jpg", "-o", copy]).status == 0)
        #expect(FileManager.default.contents(atPath: copy).map(Array.init) == TestImages.fruits)
        let missing = try await cli.run(["image", "get", "img_nothere"])
        #expect(missing.status == 1 && missing.err.contains("(NotFound)"))
        #expect(try await cli.run(["image", "get"]).status == 2)

        // Tags after detection; a tag query; the bulk edit; my tags.
        let streetId = try #require(mine.first { $0["filename"] as? String == "street.jpg" }?["id"] as? String)
        let buildingId = try #require(mine.first { $0["filename"] as? String == "building.jpg" }?["id"] as? String)
        try await eventually(within: .seconds(90)) {
            let found = try await cli.json(["image", "list", "--tags", "person"])
            return ((found["items"] as? [[String: Any]]) ?? []).contains { $0["id"] as? String == streetId }
        }
        let edited = try await cli.json(["image", "tag", streetId, buildingId, "--add", "holiday:2", "--remove", "car"])
        for image in (edited["items"] as? [[String: Any]]) ?? [] {
            let tags = (image["tags"] as? [[String: Any]]) ?? []
            #expect(tags.contains { $0["tag"] as? String == "holiday" && $0["count"] as? Int == 2 })
            #expect(!tags.contains { $0["tag"] as? String == "car" })
        }
        #expect(try await cli.run(["image", "tag", streetId, "--add", "x:many"]).status == 2)
        let tags = try await cli.run(["tags"])
        #expect(tags.status == 0 && tags.out.contains("holiday") && tags.out.hasPrefix("TAG"))

        // A share link opens without an account, until revoked.
        let share = try await cli.json(["image", "share", fruitId, "--expires", "1h"])
        let link = try #require(share["url"] as? String)
        #expect(try await FaultTests.send("GET", link).status == 200)
        #expect(try await cli.run(["image", "share", fruitId, "--revoke"]).status == 0)
        #expect(try await FaultTests.send("GET", link).status != 200)
        #expect(try await cli.run(["image", "share", fruitId, "--expires", "soon"]).status == 2)

        // Processing now: into a file, saved under a key, and a mistyped parameter named.
        let small = "\(files)/small.png"
        let processed = try await cli.run([
            "process", buildingId, "--op", "resize width=64", "--op", "color mode=gray", "--format", "png", "-o", small,
        ])
        #expect(processed.status == 0, "\(processed)")
        let decoded = try ImageCodec.decode(Array(try #require(FileManager.default.contents(atPath: small))))
        #expect(decoded.width == 64)
        let saved = try await cli.json([
            "process", building, "--op", "blur sigma=2", "--save", "--key", "processed/b.jpg",
        ])
        #expect(saved["key"] as? String == "processed/b.jpg")
        let typo = try await cli.run(["process", buildingId, "--op", "resize wdth=3", "-o", small])
        #expect(typo.status == 2 && typo.err.contains("resize") && typo.err.contains("'wdth'"), "\(typo)")
        #expect(try await cli.run(["process", buildingId, "--op", "resize width", "-o", small]).status == 2)

        // Recognition and similar search.
        let seen = try await cli.run(["recognize", street])
        #expect(seen.status == 0 && seen.out.contains("person") && seen.out.hasPrefix("LABEL"), "\(seen)")
        let similar = try await cli.run(["similar", street])
        // (Its car tag was removed above, so the street photo itself no longer matches.)
        #expect(
            similar.status == 0 && similar.out.hasPrefix("Detected: ") && similar.out.contains("person"), "\(similar)")

        // Jobs: submit and wait, list, get, the result by job ID, delete, clear.
        let submitted = try await cli.json(["job", "submit", building, "--wait"])
        let job = try #require((submitted["items"] as? [[String: Any]])?.first)
        let jobId = try #require(job["id"] as? String)
        #expect(job["status"] as? String == "completed")
        #expect(try await cli.run(["job", "list"]).out.contains(jobId))
        #expect(try await cli.run(["job", "get", jobId]).out.contains("completed"))
        let result = "\(files)/result.jpg"
        #expect(try await cli.run(["job", "result", jobId, "-o", result]).status == 0)
        #expect(try ImageCodec.decode(Array(try #require(FileManager.default.contents(atPath: result)))).width == 868)
        #expect(try await cli.run(["job", "rm", jobId]).status == 0)
        let again = try await cli.run(["job", "submit", street, "--wait"])
        #expect(again.status == 0 && again.out.contains("completed"), "\(again)")
        #expect(try await cli.json(["job", "clear"])["count"] as? Int == 1)
        #expect(try await cli.run(["job", "result", "job_nothere", "-o", result]).status == 1)

        // Subscriptions.
        let subscription = try await cli.json(["sub", "add", "--tags", "cat,dog"])
        let subscriptionId = try #require(subscription["id"] as? String)
        #expect(subscription["status"] as? String == "active")
        #expect(try await cli.run(["sub", "list"]).out.contains(subscriptionId))
        #expect(try await cli.run(["sub", "rm", subscriptionId]).status == 0)
        #expect(try await cli.run(["sub", "list"]).out.contains("No subscriptions"))

        // An expired access token is refreshed by itself; a revoked session says how to get back.
        var session = try #require(cli.session)
        let refreshToken = session["refreshToken"] as? String
        session["accessExpiresAt"] = 0
        try JSONSerialization.data(withJSONObject: session).write(
            to: URL(fileURLWithPath: "\(home)/clearsky/session.json"))
        #expect(try await cli.run(["auth", "whoami"]).status == 0)
        #expect(cli.session?["refreshToken"] as? String != refreshToken)
        session = try #require(cli.session)
        session["accessExpiresAt"] = 0
        session["refreshToken"] = "forged"
        try JSONSerialization.data(withJSONObject: session).write(
            to: URL(fileURLWithPath: "\(home)/clearsky/session.json"))
        let revoked = try await cli.run(["auth", "whoami"])
        #expect(revoked.status == 1 && revoked.err == "clearsky: signed out, run clearsky auth login\n", "\(revoked)")

        // Unreachable servers and bad usage have their own exit statuses.
        let (_, closed) = try freePorts()
        let away = try await cli.run(["image", "list"], server: "http://127.0.0.1:\(closed)")
        #expect(away.status == 3 || away.err.contains("not signed in"), "\(away)")
        let nowhere = try await cli.run(
            ["auth", "login", "--username", "cleo", "--password-stdin"], input: "x\n",
            server: "http://127.0.0.1:\(closed)")
        #expect(nowhere.status == 3 && nowhere.err.contains("cannot reach"), "\(nowhere)")
        #expect(try await cli.run(["image", "list", "--limit", "0"]).status == 2)
        #expect(try await cli.run(["image", "list"], server: "ftp://x").status == 2)
        #expect(try await cli.run(["nonsense"]).status == 2)

        // Password change, sign-out, and the account deleted with everything in it.
        #expect(
            try await cli.run(["auth", "login", "--username", "cleo", "--password-stdin"], input: "Corr3ct-horse\n")
                .status == 0)
        let changed = try await cli.run(
            ["auth", "password", "--password-stdin"], input: "Corr3ct-horse\nN3w-horse-battery\n")
        #expect(changed.status == 0, "\(changed)")
        #expect(try await cli.run(["auth", "logout"]).status == 0)
        #expect(cli.session == nil)
        #expect(try await cli.run(["auth", "whoami"]).err.contains("not signed in"))
        #expect(
            try await cli.run(
                ["auth", "login", "--username", "cleo@example.com", "--password-stdin"], input: "N3w-horse-battery\n"
            )
            .status == 0)
        #expect(
            try await cli.run(["auth", "delete-account", "--password-stdin"], input: "N3w-horse-battery\n").status == 2)
        let gone = try await cli.run(
            ["auth", "delete-account", "--yes", "--password-stdin"], input: "N3w-horse-battery\n")
        #expect(gone.status == 0, "\(gone)")
        let after = try await cli.run(
            ["auth", "login", "--username", "cleo", "--password-stdin"], input: "N3w-horse-battery\n")
        #expect(after.status == 1 && after.err.contains("(NotAuthorized)"))
    }
}
