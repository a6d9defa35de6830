import Foundation
import Logging
import PostgresNIO
import PostgresSupport
import TestServers
import Testing
import WireTesting

/// `clearsky up` with `CLEARSKY_DATABASE_URL`: every service keeps its state in PostgreSQL, in a database
/// of this test's own, through the gateway's real routes, and what they keep outlives a kill -9.
@Suite(.serialized) struct PostgresClusterTests {
    /// A new, empty database on the test server: its URL.
    static func freshDatabase() async throws -> String {
        let server = try DatabaseURL(try PostgresTestServer.url())
        let admin = try await PostgresSchema.open(
            server, schema: "clearsky_tests", migrations: [], logger: Logger(label: "test"))
        let name = PostgresTestServer.schema("cluster")
        try await admin.closing { try await admin.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)")) }
        var url = server
        url.database = name
        return "postgres://\(url.username):\(url.password ?? "")@\(url.host):\(url.port)/\(name)?sslmode=disable"
    }

    /// Rows of `sql` in the database at `url`, schema `schema`.
    static func count(_ sql: String, schema: String, url: String) async throws -> Int {
        let database = try await PostgresSchema.open(
            try DatabaseURL(url), schema: schema, migrations: [], logger: Logger(label: "test"))
        let rows = try await database.closing { try await database.query(PostgresQuery(unsafeSQL: sql)) }
        return Int(try #require(rows.first).decode(Int64.self))
    }

    @Test func accountsAndJobsLiveInPostgreSQLAndOutliveTheirServices() async throws {
        let url = try await Self.freshDatabase()
        let cluster = try await FaultTests.Cluster.start(environment: ["CLEARSKY_DATABASE_URL": url])
        // The sign-in went to PostgreSQL, not to a file.
        #expect(try await Self.count("SELECT COUNT(*) FROM account", schema: "auth", url: url) == 1)
        #expect(!FileManager.default.fileExists(atPath: "\(cluster.data)/auth/users.sqlite"))
        #expect(!FileManager.default.fileExists(atPath: "\(cluster.data)/process/jobs.sqlite"))
        #expect(!FileManager.default.fileExists(atPath: "\(cluster.data)/store/images.sqlite"))
        #expect(!FileManager.default.fileExists(atPath: "\(cluster.data)/tag/tags.sqlite"))

        let upload = try await cluster.call("POST", "/v1/images", raw: FaultTests.photo)
        #expect(upload.status == 201)
        let imageId = try #require(try FaultTests.object(upload.body)["id"] as? String)
        let created = try await cluster.call(
            "POST", "/v1/jobs", json: ["imageId": imageId, "ops": [["op": "resize", "width": 64]]])
        #expect(created.status == 202)
        let jobId = try #require(try FaultTests.object(created.body)["id"] as? String)
        try await eventually(within: .seconds(120)) {
            let job = try? FaultTests.object(try await cluster.call("GET", "/v1/jobs/\(jobId)").body)
            return job?["status"] as? String == "completed"
        }
        #expect(try await Self.count("SELECT COUNT(*) FROM job", schema: "process", url: url) == 1)
        // The upload, the job's result and their events are in schema store; the tags in schema tag.
        #expect(try await Self.count("SELECT COUNT(*) FROM image", schema: "store", url: url) == 2)
        try await eventually(within: .seconds(60)) {
            (try? await Self.count("SELECT COUNT(*) FROM image WHERE tagging = 'done'", schema: "tag", url: url)) == 2
        }

        // Both services killed: their successors have the same users, keys and jobs.
        for service in ["AuthSvc", "StoreSvc", "ProcessSvc", "TagSvc"] {
            let old = try pid(of: service, in: cluster.data)
            kill(old, SIGKILL)
            try await eventually(within: .seconds(60)) {
                (try? pid(of: service, in: cluster.data)).map { $0 != old } ?? false
            }
        }
        try await eventually(within: .seconds(60)) {
            (try? await cluster.call("GET", "/v1/jobs/\(jobId)"))?.status == 200
        }
        // The token signed before the kill still verifies; the same user logs in again.
        #expect(try await cluster.call("GET", "/v1/me").status == 200)
        let login = try await FaultTests.send(
            "POST", "\(cluster.base)/v1/auth/login",
            json: ["username": "faulty", "password": "Corr3ct-horse"])
        #expect(login.status == 200)
        let job = try FaultTests.object(try await cluster.call("GET", "/v1/jobs/\(jobId)").body)
        #expect(job["status"] as? String == "completed")
        let content = try await cluster.call("GET", "/v1/images/\(imageId)/content")
        #expect(content.status == 200 && content.body == FaultTests.photo)
        try await cluster.stop()
    }
}
