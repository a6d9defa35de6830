import Logging
import PostgresNIO
import TestServers
import Testing
import Wire

@testable import PostgresSupport

@Suite struct DatabaseURLTests {
    @Test func aURLGivesEveryPart() throws {
        let url = try DatabaseURL("postgres://clear%40sky:p%3Ass%2Fword@db.example.org:6543/photos?sslmode=require")
        #expect(url.username == "clear@sky" && url.password == "p:ss/word")
        #expect(url.host == "db.example.org" && url.port == 6543 && url.database == "photos" && url.tls == .require)
        // The password never reaches a log line.
        #expect(!url.description.contains("p:ss") && url.description.contains("db.example.org:6543/photos"))
        let plain = try DatabaseURL("postgresql://u@127.0.0.1/db")
        #expect(plain.port == 5432 && plain.password == nil && plain.tls == .prefer)
        #expect(try DatabaseURL("postgres://u:p@[::1]:5433/db").host == "::1")
    }

    @Test func aBadURLIsRefusedWithWhy() {
        for bad in [
            "", "mysql://u:p@h/db", "postgres://u:p@/db", "postgres://:p@h/db", "postgres://u:p@h:0/db",
            "postgres://u:p@h:70000/db", "postgres://u:p@h", "postgres://u:p@h/", "postgres://u:p@h/a/b",
            "postgres://u:p@h/db?sslmode=maybe", "postgres://u:p@h/db?timeout=3",
            "postgres://u:p@h/" + String(repeating: "d", count: 3000),
        ] {
            #expect(throws: WireError.self, "\(bad)") { try DatabaseURL(bad) }
        }
    }

    @Test func schemaNamesAreCheckedBeforeTheyReachSQL() {
        for good in ["process", "tag_2", "a"] { #expect(throws: Never.self) { try PostgresSchema.checkName(good) } }
        for bad in ["", "Process", "9lives", "a-b", "a;DROP TABLE job", String(repeating: "a", count: 64)] {
            #expect(throws: WireError.self, "\(bad)") { try PostgresSchema.checkName(bad) }
        }
    }
}

@Suite struct PostgresMigrationTests {
    static let migrations = [
        PostgresMigration("v1", ["CREATE TABLE thing (id BIGINT PRIMARY KEY)", "INSERT INTO thing VALUES (1)"]),
        PostgresMigration("v2-more", ["ALTER TABLE thing ADD COLUMN name TEXT NOT NULL DEFAULT 'x'"]),
    ]

    /// Replicas starting together migrate once; a later start applies only what is new; a failing migration
    /// leaves the schema as it was and says why.
    @Test func migrationsApplyOnceInOrderEvenFromReplicasAtOnce() async throws {
        let url = try DatabaseURL(try PostgresTestServer.url())
        let schema = PostgresTestServer.schema("migrate")
        let logger = Logger(label: "test")
        let opened = try await withThrowingTaskGroup(of: PostgresSchema.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    try await PostgresSchema.open(url, schema: schema, migrations: Self.migrations, logger: logger)
                }
            }
            var all: [PostgresSchema] = []
            for try await database in group { all.append(database) }
            return all
        }
        let database = opened[0]
        #expect(try await PostgresMigrations.applied(in: database) == ["v1", "v2-more"])
        let rows = try await database.query("SELECT id, name FROM thing")
        #expect(rows.count == 1)
        for other in opened { await other.close() }

        let broken = Self.migrations + [PostgresMigration("v3-broken", ["ALTER TABLE thing ADD COLUMN", "SELECT 1"])]
        await #expect(throws: WireError.self) {
            try await PostgresSchema.open(url, schema: schema, migrations: broken, logger: logger)
        }
        let again = try await PostgresSchema.open(url, schema: schema, migrations: Self.migrations, logger: logger)
        #expect(try await PostgresMigrations.applied(in: again) == ["v1", "v2-more"])
        await again.close()
    }

    @Test func aServerThatIsNotThereIsUnavailableAfterThePatience() async throws {
        let url = try DatabaseURL("postgres://u:p@127.0.0.1:1/db?sslmode=disable")
        do {
            _ = try await PostgresSchema.open(
                url, schema: "nowhere", migrations: [], logger: Logger(label: "test"), patience: .milliseconds(300))
            Issue.record("opened a database that is not there")
        } catch let error as WireError {
            #expect(error.code == .unavailable)
        }
    }

    @Test func aWrongPasswordIsRefusedAtOnce() async throws {
        var url = try DatabaseURL(try PostgresTestServer.url())
        url.password = "wrong"
        do {
            _ = try await PostgresSchema.open(url, schema: "x", migrations: [], logger: Logger(label: "test"))
            Issue.record("a wrong password was accepted")
        } catch let error as WireError {
            // Refused, not waited for until the patience ran out (which would be unavailable).
            #expect(error.code == .failedPrecondition)
        }
    }
}
