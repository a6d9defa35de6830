import Foundation

/// The PostgreSQL server the tests that need one share. `make test` starts it around the test runs
/// (`scripts/with-postgres.sh`: `initdb` into a temporary folder, fsync off, a free port; it sets
/// `CLEARSKY_TEST_DATABASE_URL` and stops the server however the run ends). Each test works in a schema
/// of its own (`schema(_:)`), so tests running at once never see each other's rows.
public enum PostgresTestServer {
    /// The server's URL, `postgres://clearsky:clearsky@127.0.0.1:PORT/clearsky`; without one, the test
    /// fails and says how to run it (it is never skipped).
    public static func url() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["CLEARSKY_TEST_DATABASE_URL"], !url.isEmpty else {
            throw PostgresTestServerError(
                message:
                    "No test PostgreSQL: run the tests with `make test`, or `scripts/with-postgres.sh swift test …`")
        }
        return url
    }

    /// A schema name no other test uses: `prefix` and random hex.
    public static func schema(_ prefix: String) -> String {
        "\(prefix)_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16))"
    }
}

public struct PostgresTestServerError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// The two places a service keeps its state; store tests run once on each (`@Test(arguments: StoreBackend.allCases)`).
public enum StoreBackend: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite, postgres
    public var description: String { rawValue }
}
