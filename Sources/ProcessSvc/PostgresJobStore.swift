import Contracts
import Foundation
import PostgresNIO
import PostgresSupport
import Wire

/// The jobs in PostgreSQL (schema `process`), shared by every ProcessSvc replica. A claim locks the job it
/// takes with `FOR UPDATE SKIP LOCKED`, so replicas claiming at once take different jobs without waiting
/// for each other; each owner's queue count is taken under an advisory lock on the owner, so two
/// replicas cannot both admit a job past the quota.
struct PostgresJobStore: JobStore {
    let database: PostgresSchema

    static let schema = "process"

    static let migrations: [PostgresMigration] = [
        PostgresMigration(
            "v1",
            [
                """
                CREATE TABLE job (
                    position BIGSERIAL PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    owner TEXT NOT NULL,
                    status TEXT NOT NULL,
                    imageId TEXT NOT NULL,
                    originalFilename TEXT NOT NULL,
                    operationList BYTEA NOT NULL,
                    createdAt BIGINT NOT NULL,
                    startedAt BIGINT,
                    finishedAt BIGINT,
                    resultImageId TEXT,
                    error TEXT,
                    attempts BIGINT NOT NULL,
                    timings TEXT NOT NULL,
                    leaseHolder TEXT,
                    leaseUntil BIGINT
                )
                """,
                "CREATE INDEX job_owner_position ON job (owner, position)",
                "CREATE INDEX job_status_owner_position ON job (status, owner, position)",
                "CREATE INDEX job_running_lease ON job (leaseUntil) WHERE status = 'running'",
                "CREATE TABLE ownerTurn (owner TEXT PRIMARY KEY, turn BIGINT NOT NULL)",
            ])
    ]

    static func open(_ url: DatabaseURL, logger: Logger) async throws -> PostgresJobStore {
        try await open(url, schema: schema, logger: logger)
    }

    /// In another schema (the tests give each store a schema of its own).
    static func open(_ url: DatabaseURL, schema: String, logger: Logger) async throws -> PostgresJobStore {
        PostgresJobStore(
            database: try await PostgresSchema.open(url, schema: schema, migrations: migrations, logger: logger))
    }

    private static let columns = """
        position, id, owner, status, imageId, originalFilename, operationList, createdAt, startedAt, finishedAt,
        resultImageId, error, attempts, timings, leaseHolder, leaseUntil
        """

    private static func row(_ row: PostgresRow) throws -> JobRow {
        let (
            position, id, owner, status, imageId, filename, operations, createdAt, startedAt, finishedAt, result,
            error, attempts, timings, holder, until
        ) = try row.decode(
            (
                Int64, String, String, String, String, String, Data, Int64, Int64?, Int64?, String?, String?, Int64,
                String, String?, Int64?
            ).self)
        return JobRow(
            position: position, id: id, owner: owner, status: status, imageId: imageId, originalFilename: filename,
            operationList: operations, createdAt: createdAt, startedAt: startedAt, finishedAt: finishedAt,
            resultImageId: result, error: error, attempts: Int(clamping: attempts), timings: timings,
            leaseHolder: holder, leaseUntil: until)
    }

    private func rows(_ query: PostgresQuery) async throws -> [JobRow] {
        try await database.query(query).map(Self.row)
    }

    func insert(_ job: JobRow, quota: Int) async throws -> JobRow? {
        let logger = database.logger
        return try await database.transaction { connection in
            try await connection.query(
                "SELECT pg_advisory_xact_lock(hashtext(\("job.owner." + job.owner)))", logger: logger)
            var queued = 0
            for try await count in try await connection.query(
                "SELECT COUNT(*) FROM job WHERE owner = \(job.owner) AND status IN ('pending', 'running')",
                logger: logger
            ).decode(Int64.self) {
                queued = Int(clamping: count)
            }
            guard queued < quota else { return nil }
            var inserted: JobRow?
            for try await row in try await connection.query(
                """
                INSERT INTO job (id, owner, status, imageId, originalFilename, operationList, createdAt, startedAt,
                    finishedAt, resultImageId, error, attempts, timings)
                VALUES (\(job.id), \(job.owner), \(job.status), \(job.imageId), \(job.originalFilename),
                    \(job.operationList), \(job.createdAt), \(job.startedAt), \(job.finishedAt), \(job.resultImageId),
                    \(job.error), \(Int64(job.attempts)), \(job.timings))
                RETURNING \(unescaped: Self.columns)
                """, logger: logger)
            {
                inserted = try Self.row(row)
            }
            return inserted
        }
    }

    func job(id: String, owner: String) async throws -> JobRow? {
        try await rows(
            "SELECT \(unescaped: Self.columns) FROM job WHERE id = \(id) AND owner = \(owner)"
        ).first
    }

    func jobs(owner: String, before position: Int64, limit: Int) async throws -> [JobRow] {
        try await rows(
            """
            SELECT \(unescaped: Self.columns) FROM job WHERE owner = \(owner) AND position < \(position)
            ORDER BY position DESC LIMIT \(Int64(limit))
            """)
    }

    func delete(id: String, owner: String) async throws -> Bool {
        !(try await database.query("DELETE FROM job WHERE id = \(id) AND owner = \(owner) RETURNING id")).isEmpty
    }

    func clear(owner: String, includeUnfinished: Bool) async throws -> Int {
        let logger = database.logger
        return try await database.transaction { connection in
            let deleted: PostgresRowSequence
            if includeUnfinished {
                deleted = try await connection.query(
                    "DELETE FROM job WHERE owner = \(owner) RETURNING id", logger: logger)
            } else {
                deleted = try await connection.query(
                    "DELETE FROM job WHERE owner = \(owner) AND status IN ('completed', 'error') RETURNING id",
                    logger: logger)
            }
            var count = 0
            for try await _ in deleted { count += 1 }
            if includeUnfinished {
                try await connection.query("DELETE FROM ownerTurn WHERE owner = \(owner)", logger: logger)
            }
            return count
        }
    }

    func claim(_ lease: JobLease, now: Int64) async throws -> JobRow? {
        let logger = database.logger
        return try await database.transaction { connection in
            // The owners in turn order, without locks; then the first of them whose oldest pending job no
            // other replica is claiming right now.
            var owners: [String] = []
            for try await (owner, _) in try await connection.query(
                PostgresQuery(unsafeSQL: ownersInTurnOrder + " LIMIT 16"), logger: logger
            ).decode((String, Int64).self) {
                owners.append(owner)
            }
            for owner in owners {
                var claimed: JobRow?
                for try await row in try await connection.query(
                    """
                    UPDATE job SET status = 'running', attempts = attempts + 1, startedAt = \(now), error = NULL,
                        leaseHolder = \(lease.holder), leaseUntil = \(lease.until)
                    WHERE position = (
                        SELECT position FROM job WHERE owner = \(owner) AND status = 'pending'
                        ORDER BY position LIMIT 1 FOR UPDATE SKIP LOCKED)
                    RETURNING \(unescaped: Self.columns)
                    """, logger: logger)
                {
                    claimed = try Self.row(row)
                }
                guard let claimed else { continue }
                var binds = PostgresBindings()
                binds.append(owner)
                try await connection.query(
                    PostgresQuery(unsafeSQL: ownerTakesTurn(parameter: "$1"), binds: binds), logger: logger)
                return claimed
            }
            return nil
        }
    }

    func renewLeases(holder: String, until: Int64) async throws {
        try await database.query(
            "UPDATE job SET leaseUntil = \(until) WHERE leaseHolder = \(holder) AND status = 'running'")
    }

    func finish(_ id: String, holder: String, outcome: JobOutcome) async throws -> FinishResult {
        let updated = try await database.query(
            """
            UPDATE job SET status = \(outcome.status.rawValue), finishedAt = \(outcome.finishedAt),
                resultImageId = \(outcome.resultImageId), error = \(outcome.error), timings = \(outcome.timings),
                leaseHolder = NULL, leaseUntil = NULL
            WHERE id = \(id) AND status = 'running' AND leaseHolder = \(holder)
            RETURNING id
            """)
        if !updated.isEmpty { return .recorded }
        return try await database.query("SELECT id FROM job WHERE id = \(id)").isEmpty ? .deleted : .leaseLost
    }

    func requeue(_ id: String, holder: String, attemptUsed: Bool) async throws {
        try await database.query(
            """
            UPDATE job SET status = 'pending', attempts = attempts - \(attemptUsed ? Int64(0) : 1),
                leaseHolder = NULL, leaseUntil = NULL
            WHERE id = \(id) AND status = 'running' AND leaseHolder = \(holder)
            """)
    }

    func reclaimExpired(now: Int64, maxAttempts: Int) async throws -> Int {
        let logger = database.logger
        return try await database.transaction { connection in
            var count = 0
            // Rows another replica is finishing or renewing right now are skipped, not waited for.
            let ending: PostgresQuery = """
                UPDATE job SET status = 'error', finishedAt = \(now), error = \(unescaped: stoppedWorkerReason),
                    leaseHolder = NULL, leaseUntil = NULL
                WHERE position IN (
                    SELECT position FROM job WHERE status = 'running' AND leaseUntil < \(now)
                        AND attempts >= \(Int64(maxAttempts))
                    FOR UPDATE SKIP LOCKED)
                RETURNING id
                """
            for try await _ in try await connection.query(ending, logger: logger) {
                count += 1
            }
            for try await _ in try await connection.query(
                """
                UPDATE job SET status = 'pending', leaseHolder = NULL, leaseUntil = NULL
                WHERE position IN (
                    SELECT position FROM job WHERE status = 'running' AND leaseUntil < \(now) FOR UPDATE SKIP LOCKED)
                RETURNING id
                """, logger: logger)
            {
                count += 1
            }
            return count
        }
    }

    func recoverAtStart(now: Int64, maxAttempts: Int) async throws {
        // Other replicas' jobs are running: only leases that ran out are reclaimed.
        try await reclaimExpired(now: now, maxAttempts: maxAttempts)
    }
}
