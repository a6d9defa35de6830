import Contracts
import Foundation
import Logging
import PostgresNIO
import PostgresSupport
import TestImages
import TestServers
import Testing
import Wire
import WireTesting

/// Two of every service (gateway, AuthSvc, StoreSvc, ProcessSvc, TagSvc) on one PostgreSQL and one data
/// folder, each its own process configured only through the `CLEARSKY_*` variables compose gives them:
/// 200 uploads over both gateways, 40 dehaze jobs and two webhook subscriptions, with one ProcessSvc and
/// one TagSvc killed with SIGKILL half-way. Then nothing is lost: every job completed, every image tagged,
/// every notification delivered (twice only for what the killed TagSvc was sending), no error in a
/// survivor's log, no job or notification left held.
@Suite(.serialized) struct ReplicaClusterTests {
    final class Replica: Sendable {
        let name: String
        let process: Process
        let log: String

        init(name: String, process: Process, log: String) { (self.name, self.process, self.log) = (name, process, log) }
    }

    static let uploads = 200
    static let jobs = 40

    @Test func everyServiceTwiceOnOneDatabaseLosesNothingWhenReplicasDie() async throws {
        let url = try await PostgresClusterTests.freshDatabase()
        let data = try temporaryFolder()
        for folder in ["mail/outbox", "logs"] {
            try FileManager.default.createDirectory(atPath: "\(data)/\(folder)", withIntermediateDirectories: true)
        }
        try ClusterSecret.random().write(to: "\(data)/cluster.secret")
        let (baseA, httpA) = try freePorts()
        var (baseB, httpB) = try freePorts()
        while baseB == baseA { (baseB, httpB) = try freePorts() }
        var environment = ProcessInfo.processInfo.environment
        environment["CLEARSKY_DATA_DIR"] = data
        environment["CLEARSKY_DATABASE_URL"] = url
        environment["CLEARSKY_PLAIN_WIRE"] = "1"
        environment["CLEARSKY_LOG_LEVEL"] = "info"
        environment["CLEARSKY_PASSWORD_ITERATIONS"] = "1000"
        environment["CLEARSKY_WEBHOOK_ALLOW"] = "127.0.0.0/8"
        // A dead replica's work is taken over after seconds, not the defaults' minutes.
        environment["CLEARSKY_CONSUMER_LEASE_SECONDS"] = "4"
        environment["CLEARSKY_JOB_LEASE_SECONDS"] = "4"
        environment["CLEARSKY_DELIVERY_LEASE_SECONDS"] = "5"
        for service in ServiceName.backends {
            environment["CLEARSKY_\(service.key.uppercased())_ADDR"] =
                "127.0.0.1:\(service.port(base: baseA)),127.0.0.1:\(service.port(base: baseB))"
        }
        var replicas: [Replica] = []
        for service in ServiceName.backends + [.gateway] {
            for (index, (base, http)) in [(baseA, httpA), (baseB, httpB)].enumerated() {
                let listen = service == .gateway ? http : service.port(base: base)
                let name = "\(service.rawValue)-\(index)"
                let log = "\(data)/logs/\(name).log"
                FileManager.default.createFile(atPath: log, contents: nil)
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "\(UpTests.binaryDirectory)/\(service.rawValue)")
                process.arguments = ["--listen", "127.0.0.1:\(listen)", "--base-port", String(base)]
                process.environment = environment
                process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
                process.standardOutput = FileHandle.nullDevice
                try process.run()
                replicas.append(Replica(name: name, process: process, log: log))
            }
        }
        defer {
            for replica in replicas where replica.process.isRunning { kill(replica.process.processIdentifier, SIGKILL) }
        }
        let gateways = ["http://127.0.0.1:\(httpA)", "http://127.0.0.1:\(httpB)"]
        for port in [httpA, httpB] {
            try await eventually(within: .seconds(90)) { (try? await healthStatus(port)) == 200 }
        }
        let token = try await FaultTests.Cluster.signIn(port: httpA, data: data)
        @Sendable func call(
            _ gateway: Int, _ method: String, _ path: String, json: [String: Any]? = nil, raw: [UInt8]? = nil
        ) async throws -> (status: Int, body: [UInt8], etag: String?) {
            try await FaultTests.send(method, gateways[gateway % 2] + path, json: json, raw: raw, token: token)
        }

        let receiver = WebhookReceiver()
        let doomed = replicas.filter { ["ProcessSvc-0", "TagSvc-0"].contains($0.name) }.map(\.process.processIdentifier)
        try await receiver.run { hook in
            for (index, tag) in ["person", "car"].enumerated() {
                let created = try await call(
                    index, "POST", "/v1/subscriptions",
                    json: ["tags": [tag], "channel": "webhook", "target": "\(hook)/\(tag)"])
                #expect(created.status == 201, "\(String(decoding: created.body, as: UTF8.self))")
            }
            var images: [String] = []
            var jobs: [String] = []
            var (killed, partitions) = (false, 0)
            for index in 0..<Self.uploads {
                let upload = try await call(index, "POST", "/v1/images", raw: TestImages.street)
                #expect(upload.status == 201)
                images.append(try #require(try FaultTests.object(upload.body)["id"] as? String))
                if index % 5 == 0 {
                    // Long enough to be running when the kill comes.
                    let ops: [[String: Any]] = [
                        ["op": "resize", "width": 3000, "height": 2000, "fit": "fill"], ["op": "dehaze"],
                        ["op": "dehaze"],
                    ]
                    let job = try await call(
                        index + 1, "POST", "/v1/jobs", json: ["imageId": images[index], "ops": ops])
                    #expect(job.status == 202)
                    jobs.append(try #require(try FaultTests.object(job.body)["id"] as? String))
                }
                // From half-way: once the doomed ProcessSvc runs a job, it and the doomed TagSvc (which
                // holds part of the log) die with whatever they hold.
                if index >= Self.uploads / 2, !killed {
                    let held = try await PostgresClusterTests.count(
                        "SELECT COUNT(*) FROM job WHERE status = 'running' AND leaseHolder LIKE '%/\(doomed[0])/%'",
                        schema: "process", url: url)
                    if held > 0 || index == Self.uploads - 1 {
                        partitions = try await PostgresClusterTests.count(
                            "SELECT COUNT(*) FROM consumerPart WHERE name = 'tag.detect' AND holder LIKE '%-\(doomed[1])-%'",
                            schema: "store", url: url)
                        for pid in doomed { kill(pid, SIGKILL) }
                        killed = true
                    }
                }
            }
            #expect(partitions > 0, "the doomed TagSvc held part of the log")
            #expect(jobs.count == Self.jobs)

            // Every job completes, with a result that reads back.
            for job in jobs {
                try await eventually(within: .seconds(240)) {
                    let state = try? FaultTests.object(try await call(0, "GET", "/v1/jobs/\(job)").body)
                    return state?["status"] as? String == "completed"
                }
                let state = try FaultTests.object(try await call(1, "GET", "/v1/jobs/\(job)").body)
                let result = try #require(state["resultImageId"] as? String, "\(job): \(state)")
                #expect(try await call(0, "GET", "/v1/images/\(result)/content").status == 200)
            }
            // Every upload is tagged with what the street holds.
            for image in images {
                try await eventually(within: .seconds(240)) {
                    let state = try? FaultTests.object(try await call(1, "GET", "/v1/images/\(image)").body)
                    return state?["tagging"] as? String == "done"
                }
            }
            // Every notification arrives: once per subscription and upload, twice at most for what the
            // killed TagSvc had in flight (32 slots).
            for tag in ["person", "car"] {
                try await eventually(within: .seconds(120)) {
                    Set(receiver.delivered.filter { $0.path == "/\(tag)" }.compactMap { Self.image(in: $0.body) })
                        .isSuperset(of: images)
                }
            }
            let notified = receiver.delivered.compactMap { delivery in
                Self.image(in: delivery.body).map { "\(delivery.path) \($0)" }
            }
            let duplicates = notified.count - Set(notified).count
            #expect(duplicates <= 32, "\(duplicates) notifications were sent twice")
            let retried = try await PostgresClusterTests.count(
                "SELECT COUNT(*) FROM job WHERE attempts > 1", schema: "process", url: url)
            #expect(retried > 0, "the killed worker's job ran again elsewhere")
            print(
                "Replicas: \(images.count) uploads, \(jobs.count) jobs (\(retried) run again after the kill), "
                    + "\(receiver.delivered.count) notifications (\(duplicates) sent twice)")
            // Nothing held: no job running, no notification pending or claimed once the results' own
            // notifications are out (while the receiver still answers).
            let running = try await PostgresClusterTests.count(
                "SELECT COUNT(*) FROM job WHERE status <> 'completed' OR leaseHolder IS NOT NULL", schema: "process",
                url: url)
            #expect(running == 0)
            try await eventually(within: .seconds(60)) {
                let pending = try await PostgresClusterTests.count(
                    "SELECT COUNT(*) FROM delivery WHERE status <> 'delivered' OR claimedUntil IS NOT NULL",
                    schema: "tag",
                    url: url)
                return pending == 0
            }
        }

        // No survivor logged an error.
        for replica in replicas where !["ProcessSvc-0", "TagSvc-0"].contains(replica.name) {
            let lines = try String(contentsOfFile: replica.log, encoding: .utf8).split(separator: "\n")
            let errors = lines.filter { line in
                let level = line.split(separator: " ", maxSplits: 2).dropFirst().first
                return level == "error" || level == "critical"
            }
            #expect(errors.isEmpty, "\(replica.name): \(errors.prefix(3))")
        }
        for replica in replicas where replica.process.isRunning { replica.process.terminate() }
        for replica in replicas { replica.process.waitUntilExit() }
        try? FileManager.default.removeItem(atPath: data)
    }

    /// The image id a notification's body names.
    static func image(in body: String) -> String? {
        body.firstMatch(of: /"id":"(img_[0-9a-f]+)"/).map { String($0.1) }
    }
}
