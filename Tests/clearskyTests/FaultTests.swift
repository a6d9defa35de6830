import AsyncHTTPClient
import Foundation
import NIOCore
import TestImages
import Testing
import WireTesting

/// Killing a service in the middle of work, with the real binaries under `clearsky up`: nothing is lost,
/// nothing is left half done.
@Suite(.serialized) struct FaultTests {
    /// A running `clearsky up` and a signed-in user.
    struct Cluster {
        let up: Process
        let data: String
        let port: Int
        let token: String

        var base: String { "http://127.0.0.1:\(port)" }

        /// Starts the cluster, logging at `logLevel` to `log` (a file path; else the test's own stderr).
        /// `data`, when given, is the data folder to use (else a new temporary one).
        /// `environment` adds to the test's own (a database URL, say).
        static func start(
            logLevel: String = "warning", log: String? = nil, data: String? = nil,
            environment extra: [String: String] = [:]
        ) async throws -> Cluster {
            let executable = "\(UpTests.binaryDirectory)/clearsky"
            try #require(FileManager.default.isExecutableFile(atPath: executable), "Build every product first")
            let data = try data ?? temporaryFolder()
            let (basePort, port) = try freePorts()
            let up = Process()
            up.executableURL = URL(fileURLWithPath: executable)
            up.arguments = [
                "up", "--data-dir", data, "--port", String(port), "--base-port", String(basePort), "--log-level",
                logLevel,
            ]
            var environment = ProcessInfo.processInfo.environment
            environment["CLEARSKY_PASSWORD_ITERATIONS"] = "1000"
            environment.merge(extra) { _, new in new }
            up.environment = environment
            let output = Pipe()
            up.standardOutput = output
            if let log {
                FileManager.default.createFile(atPath: log, contents: nil)
                up.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            }
            try up.run()
            _ = try await readLine(
                from: output.fileHandleForReading, containing: "Clearsky is up", within: .seconds(60))
            let token = try await signIn(port: port, data: data)
            return Cluster(up: up, data: data, port: port, token: token)
        }

        func stop() async throws {
            up.terminate()
            try await eventually(within: .seconds(30)) { !up.isRunning }
            try? FileManager.default.removeItem(atPath: data)
        }

        static func signIn(port: Int, data: String, name: String = "faulty") async throws -> String {
            let base = "http://127.0.0.1:\(port)"
            let user = ["username": name, "email": "\(name)@example.com", "password": "Corr3ct-horse"]
            _ = try await send("POST", "\(base)/v1/auth/signup", json: user)
            let outbox = "\(data)/mail/outbox"
            let mail = try FileManager.default.contentsOfDirectory(atPath: outbox).map {
                try String(contentsOfFile: "\(outbox)/\($0)", encoding: .utf8)
            }.filter { $0.contains("To: \(name)@example.com") }
            let code = String(try #require(mail.compactMap { $0.firstMatch(of: /code (\d{6})/) }.first).1)
            _ = try await send("POST", "\(base)/v1/auth/confirm", json: ["username": name, "code": code])
            let login = try await send("POST", "\(base)/v1/auth/login", json: user)
            return try #require(try object(login.body)["accessToken"] as? String)
        }

        func call(_ method: String, _ path: String, json: [String: Any]? = nil, raw: [UInt8]? = nil) async throws
            -> (status: Int, body: [UInt8], etag: String?)
        {
            try await send(method, base + path, json: json, raw: raw, token: token)
        }
    }

    static func send(
        _ method: String, _ url: String, json: [String: Any]? = nil, raw: [UInt8]? = nil, token: String? = nil
    ) async throws -> (status: Int, body: [UInt8], etag: String?) {
        var request = HTTPClientRequest(url: url)
        request.method = .init(rawValue: method)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: Array(try JSONSerialization.data(withJSONObject: json))))
        } else if let raw {
            request.headers.add(name: "Content-Type", value: "image/jpeg")
            request.body = .bytes(ByteBuffer(bytes: raw))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 100 << 20)
        return (Int(response.status.code), Array(buffer: body), response.headers.first(name: "ETag"))
    }

    static func object(_ bytes: [UInt8]) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    static let photo = TestImages.building

    @Test func aJobSurvivesItsWorkerBeingKilled() async throws {
        let cluster = try await Cluster.start()
        let upload = try await cluster.call("POST", "/v1/images", raw: Self.photo)
        #expect(upload.status == 201)
        let imageId = try #require(try Self.object(upload.body)["id"] as? String)
        // Seconds of work even with optimized Imaging, so that the kill lands while the job runs (with three
        // dehazes a fast host once finished the job between the poll that saw it running and the kill).
        let ops: [[String: Any]] =
            [["op": "resize", "width": 4000, "height": 3000, "fit": "fill"]]
            + Array(repeating: ["op": "dehaze"], count: 8)
            + [["op": "resize", "width": 1736, "height": 1200, "fit": "fill"]]
        let created = try await cluster.call("POST", "/v1/jobs", json: ["imageId": imageId, "ops": ops])
        #expect(created.status == 202)
        let jobId = try #require(try Self.object(created.body)["id"] as? String)
        func job() async throws -> [String: Any] {
            try Self.object(try await cluster.call("GET", "/v1/jobs/\(jobId)").body)
        }
        try await eventually(within: .seconds(60)) { try await job()["status"] as? String == "running" }

        let worker = try pid(of: "ProcessSvc", in: cluster.data)
        kill(worker, SIGKILL)
        try await eventually(within: .seconds(180)) {
            let status = (try? await job())?["status"] as? String
            return status == "completed" || status == "error"
        }
        let finished = try await job()
        #expect(finished["status"] as? String == "completed")
        #expect(finished["attempts"] as? Int == 2)
        #expect(try pid(of: "ProcessSvc", in: cluster.data) != worker)
        let result = try await cluster.call("GET", "/v1/jobs/\(jobId)/result")
        #expect(result.status == 200 && result.body.starts(with: [0xFF, 0xD8, 0xFF]))
        // One result image, not one per attempt.
        let images = try Self.object(try await cluster.call("GET", "/v1/images").body)["items"] as? [[String: Any]]
        #expect(images?.count == 2)
        try await cluster.stop()
    }

    @Test func aStoreKilledMidUploadLeavesNoHalfBlobOrOrphanRow() async throws {
        let cluster = try await Cluster.start()
        let store = try pid(of: "StoreSvc", in: cluster.data)
        // Upload while StoreSvc is killed: the upload either lands whole or not at all.
        async let upload = try? await cluster.call("POST", "/v1/images", raw: Self.photo)
        try await Task.sleep(for: .milliseconds(30))
        kill(store, SIGKILL)
        _ = await upload
        try await eventually(within: .seconds(60)) {
            (try? await cluster.call("GET", "/v1/images"))?.status == 200
        }
        let items = try Self.object(try await cluster.call("GET", "/v1/images").body)["items"] as? [[String: Any]] ?? []
        // Every row has its whole blob; every blob belongs to an image or its thumbnail.
        var expected: Set<String> = []
        for item in items {
            let id = try #require(item["id"] as? String)
            let content = try await cluster.call("GET", "/v1/images/\(id)/content")
            #expect(content.body == Self.photo)
            let thumbnail = try await cluster.call("GET", "/v1/images/\(id)/thumbnail")
            expected.insert(try #require(item["sha256"] as? String))
            expected.insert(try #require(thumbnail.etag).trimmingCharacters(in: ["\""]))
        }
        let storeFolder = "\(cluster.data)/store"
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(storeFolder)/tmp").isEmpty)
        let blobs = (FileManager.default.enumerator(atPath: "\(storeFolder)/blobs")?.allObjects as? [String] ?? [])
            .filter { $0.split(separator: "/").count == 3 }.map { String($0.split(separator: "/").last!) }
        #expect(Set(blobs) == expected)
        try await cluster.stop()
    }
}
