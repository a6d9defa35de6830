import Logging
import NIOCore
import PostgresNIO
import Wire

/// One service's schema in the cluster's PostgreSQL database: a postgres-nio client whose every connection
/// has `schema` as its search path, so a store's SQL names its tables without a schema. `open` connects
/// (waiting for a server that is still starting), creates the schema and applies its migrations; `close`
/// ends the connections (a service registers it with `ServiceHost.atExit`, after everything that writes).
public final class PostgresSchema: Sendable {
    public let client: PostgresClient
    public let schema: String
    public let logger: Logger
    private let running: Task<Void, Never>

    private init(client: PostgresClient, schema: String, logger: Logger) {
        self.client = client
        self.schema = schema
        self.logger = logger
        running = Task { await client.run() }
    }

    /// Connects to `url` as `schema` (lower-case letters, digits and `_`), waiting up to `patience` for the
    /// server to answer, and migrates the schema (`PostgresMigrations`).
    public static func open(
        _ url: DatabaseURL, schema: String, migrations: [PostgresMigration], logger: Logger,
        patience: Duration = .seconds(30)
    ) async throws -> PostgresSchema {
        try checkName(schema)
        let database = PostgresSchema(
            client: PostgresClient(configuration: url.clientConfiguration(schema: schema), backgroundLogger: logger),
            schema: schema, logger: logger)
        do {
            try await database.waitUntilReachable(url, patience: patience)
            try await PostgresMigrations.apply(migrations, to: database)
            return database
        } catch {
            await database.close()
            throw error
        }
    }

    /// Closes every connection; the client refuses further queries.
    public func close() async {
        running.cancel()
        await running.value
    }

    /// Runs `body`, then closes the connections, whether `body` returned or threw.
    public func closing<T>(after body: () async throws -> T) async throws -> T {
        do {
            let result = try await body()
            await close()
            return result
        } catch {
            await close()
            throw error
        }
    }

    /// Runs `body` in a transaction (committed when it returns, rolled back when it throws), with errors
    /// mapped to Wire's codes (`mapped`).
    public func transaction<Result: Sendable>(
        _ body: (PostgresConnection) async throws -> sending Result
    ) async throws -> Result {
        do {
            return try await client.withTransaction(logger: logger) { connection in try await body(connection) }
        } catch {
            throw Self.mapped(error)
        }
    }

    /// Runs `body` on one connection that holds the session-level advisory lock `key` throughout, so what
    /// `body` does after its transaction commits is still serialized with others taking the same lock.
    /// The lock is released when `body` ends (the connection is closed when that fails, which releases it).
    public func withLock<Result: Sendable>(
        _ key: String, _ body: (PostgresConnection) async throws -> sending Result
    ) async throws -> Result {
        do {
            return try await client.withConnection { connection in
                try await connection.query("SELECT pg_advisory_lock(hashtext(\(key)))", logger: logger)
                let result: Result
                do {
                    result = try await body(connection)
                } catch {
                    await Self.unlock(key, on: connection, logger: logger)
                    throw error
                }
                await Self.unlock(key, on: connection, logger: logger)
                return result
            }
        } catch {
            throw Self.mapped(error)
        }
    }

    private static func unlock(_ key: String, on connection: PostgresConnection, logger: Logger) async {
        do {
            try await connection.query("SELECT pg_advisory_unlock(hashtext(\(key)))", logger: logger)
        } catch {
            logger.warning(
                "An advisory lock could not be released; closing its connection", metadata: ["lock": "\(key)"])
            try? await connection.close()
        }
    }

    /// One statement outside a transaction; its rows, collected.
    @discardableResult
    public func query(_ query: PostgresQuery) async throws -> [PostgresRow] {
        do {
            return try await client.query(query, logger: logger).collect()
        } catch {
            throw Self.mapped(error)
        }
    }

    /// A failure of the database as the service's callers should see it: a server that cannot be reached,
    /// closed the connection or gave up on a serialization conflict or deadlock is `unavailable` (retried
    /// by callers as transient); anything else is `internal`, with PostgreSQL's code and message.
    public static func mapped(_ error: any Error) -> any Error {
        if error is WireError || error is CancellationError { return error }
        if let transaction = error as? PostgresTransactionError {
            if let closure = transaction.closureError { return mapped(closure) }
            if let begin = transaction.beginError { return mapped(begin) }
            if let commit = transaction.commitError { return mapped(commit) }
            return WireError(.internal, "The database transaction failed")
        }
        guard let error = error as? PSQLError else { return error }
        if error.code == .server, let state = error.serverInfo?[.sqlState] {
            let message = error.serverInfo?[.message] ?? ""
            if ["40001", "40P01", "57P01", "57P02", "57P03", "53300"].contains(state) {
                return WireError(.unavailable, "The database is busy or restarting (\(state) \(message))")
            }
            return WireError(.internal, "The database refused a statement (\(state) \(message))")
        }
        if error.code == .queryCancelled { return CancellationError() }
        return WireError(.unavailable, "The database is unreachable (\(error.code))")
    }

    static func checkName(_ name: String) throws(WireError) {
        let bytes = Array(name.utf8)
        guard (1...63).contains(bytes.count), !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[0]),
            bytes.allSatisfy({
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "_")
            })
        else { throw WireError(.invalidArgument, "A schema name is lower-case letters, digits and _: \(name)") }
    }

    /// One connection of its own, not the pool's: the pool retries a refused login like a server that
    /// is not up yet, and only one of the two is worth waiting for.
    private func waitUntilReachable(_ url: DatabaseURL, patience: Duration) async throws {
        let deadline = ContinuousClock.now + patience
        let configuration = try url.connectionConfiguration()
        while true {
            do {
                let connection = try await PostgresConnection.connect(
                    on: PostgresClient.defaultEventLoopGroup.any(), configuration: configuration, id: 0,
                    logger: logger
                ).get()
                try? await connection.close()
                return
            } catch {
                if let error = error as? PSQLError, error.code == .server {
                    // The server answered: a wrong password or database is not worth waiting for.
                    throw WireError(
                        .failedPrecondition,
                        "PostgreSQL at \(url) refused the connection: \(error.serverInfo?[.message] ?? "\(error)")")
                }
                guard ContinuousClock.now < deadline else {
                    throw WireError(.unavailable, "PostgreSQL at \(url) did not answer within \(patience): \(error)")
                }
                logger.info("Waiting for PostgreSQL", metadata: ["database": "\(url)"])
                try await Task.sleep(for: .milliseconds(250))
            }
        }
    }
}
