import PostgresNIO
import Wire

/// One versioned change of a schema: its name (recorded once applied) and its statements, run in order
/// in one transaction (PostgreSQL's extended protocol takes one statement at a time).
public struct PostgresMigration: Sendable {
    public let name: String
    public let statements: [String]

    public init(_ name: String, _ statements: [String]) {
        self.name = name
        self.statements = statements
    }
}

/// Brings a schema up to date: creates it when missing and applies, in order, each migration not in its
/// `migration` table yet, all in one transaction under an advisory lock, so replicas starting together
/// migrate once and a failed migration leaves the schema as it was.
public enum PostgresMigrations {
    public static func apply(_ migrations: [PostgresMigration], to database: PostgresSchema) async throws {
        // The name was checked when the schema was opened, so it can stand in the SQL as it is.
        let schema = database.schema
        try await database.transaction { connection in
            try await connection.query(
                "SELECT pg_advisory_xact_lock(hashtext(\("clearsky.migrate." + schema)))", logger: database.logger)
            try await connection.query(
                PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(schema)"), logger: database.logger)
            try await connection.query(
                PostgresQuery(
                    unsafeSQL:
                        "CREATE TABLE IF NOT EXISTS \(schema).migration (name TEXT PRIMARY KEY, appliedAt BIGINT NOT NULL)"
                ),
                logger: database.logger)
            var applied = Set<String>()
            for try await name in try await connection.query(
                PostgresQuery(unsafeSQL: "SELECT name FROM \(schema).migration"), logger: database.logger
            ).decode(String.self) {
                applied.insert(name)
            }
            for migration in migrations where !applied.contains(migration.name) {
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: database.logger)
                }
                try await connection.query(
                    "INSERT INTO migration (name, appliedAt) VALUES (\(migration.name), (extract(epoch FROM now()) * 1000)::bigint)",
                    logger: database.logger)
            }
        }
    }

    /// The names of the migrations applied to the database's schema.
    public static func applied(in database: PostgresSchema) async throws -> [String] {
        var names: [String] = []
        for row in try await database.query("SELECT name FROM migration ORDER BY appliedAt, name") {
            names.append(try row.decode(String.self))
        }
        return names
    }
}
