import Contracts
import Foundation
import GRDB
import ImageOperations
import SQLiteSupport
import Wire

/// ProcessSvc's jobs, wherever they are kept: all of the service's SQL is behind this. `SQLiteJobStore` is
/// one ProcessSvc's own file; `PostgresJobStore` is a table that any number of ProcessSvc replicas share.
///
/// A worker claims a job under a lease (`JobLease`: its replica's name and a time) that its replica
/// renews while the job runs (`renewLeases`); a job whose lease ran out because its replica died goes
/// back to the queue, or to `error` once it has used every attempt (`reclaimExpired`). Finishing and
/// requeueing name the holder, so a replica that lost its lease cannot overwrite what another recorded.
protocol JobStore: Sendable {
    /// Adds `job` unless its owner already has `quota` jobs pending or running; nil then.
    func insert(_ job: JobRow, quota: Int) async throws -> JobRow?
    /// The owner's job with that id.
    func job(id: String, owner: String) async throws -> JobRow?
    /// Up to `limit` of the owner's jobs before `position`, newest first.
    func jobs(owner: String, before position: Int64, limit: Int) async throws -> [JobRow]
    /// Removes the owner's job with that id; whether there was one.
    @discardableResult func delete(id: String, owner: String) async throws -> Bool
    /// Removes the owner's finished jobs, or all of them (and their turn) with `includeUnfinished`.
    func clear(owner: String, includeUnfinished: Bool) async throws -> Int
    /// Marks the next pending job `running` under `lease` and counts the attempt. Owners take turns (M12):
    /// among the owners with pending jobs, the one with the fewest jobs running goes first, then the one
    /// whose last claim is oldest (a newcomer before everyone), and it gets its oldest pending job. So a
    /// user with a thousand queued jobs delays another user's job by at most one job per worker.
    func claim(_ lease: JobLease, now: Int64) async throws -> JobRow?
    /// Extends every running job that `holder` holds to `until`.
    func renewLeases(holder: String, until: Int64) async throws
    /// Records how the job ended, if `holder` still holds it.
    func finish(_ id: String, holder: String, outcome: JobOutcome) async throws -> FinishResult
    /// Puts a job that `holder` holds back to `pending`, giving back its attempt unless `attemptUsed`.
    func requeue(_ id: String, holder: String, attemptUsed: Bool) async throws
    /// Jobs whose lease ran out before `now`: to `error` once they used `maxAttempts`, else back to
    /// `pending`. Returns how many went back or ended.
    @discardableResult func reclaimExpired(now: Int64, maxAttempts: Int) async throws -> Int
    /// What a replica does as it starts: on SQLite, whose file belongs to this one process, every running
    /// job was its predecessor's and is reclaimed at once; on PostgreSQL only expired leases are.
    func recoverAtStart(now: Int64, maxAttempts: Int) async throws
}

/// Who holds a claimed job and until when (milliseconds since 1970).
struct JobLease: Sendable {
    var holder: String
    var until: Int64
}

/// How a job ended.
struct JobOutcome: Sendable {
    var status: JobStatus
    var finishedAt: Int64
    var resultImageId: String?
    var error: String?
    /// A JSON object of stage → milliseconds.
    var timings: String
}

enum FinishResult: Sendable, Equatable {
    /// The outcome is the job's.
    case recorded
    /// Another replica took the job over after this one's lease ran out; it records the outcome.
    case leaseLost
    /// The job was deleted while it ran.
    case deleted
}

/// The reason a job that stopped its worker `attempts` times is not tried again (the same on both backends).
let stoppedWorkerReason = "'The job stopped its worker ' || attempts || ' times; it is not tried again'"

/// The owners with pending jobs in turn order (M12), each with its oldest pending job's position: fewest
/// running first, then the oldest last claim (a newcomer, with no turn yet, before everyone), then the
/// oldest job. The same on both backends.
let ownersInTurnOrder = """
    SELECT p.owner, p.first FROM
        (SELECT owner, MIN(position) AS first FROM job WHERE status = 'pending' GROUP BY owner) p
    LEFT JOIN ownerTurn t ON t.owner = p.owner
    ORDER BY (SELECT COUNT(*) FROM job r WHERE r.status = 'running' AND r.owner = p.owner),
        COALESCE(t.turn, 0), p.first
    """

/// Gives the owner bound to `parameter` (`?1`, `$1`) the newest turn, as its job is claimed.
func ownerTakesTurn(parameter: String) -> String {
    """
    INSERT INTO ownerTurn (owner, turn) VALUES (\(parameter), (SELECT COALESCE(MAX(turn), 0) + 1 FROM ownerTurn))
    ON CONFLICT (owner) DO UPDATE SET turn = excluded.turn
    """
}

/// ProcessSvc's SQLite database: the jobs. One file in the service's state folder, WAL mode; one process.
struct SQLiteJobStore: JobStore {
    let database: DatabasePool

    /// The jobs database in the service's state folder.
    init(folder: String) throws { try self.init(path: "\(folder)/jobs.sqlite") }

    init(path: String) throws {
        database = try DatabasePool.durable(path: path)
        try Self.migrator.migrate(database)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "job") { table in
                table.autoIncrementedPrimaryKey("position")
                table.column("id", .text).notNull().unique()
                table.column("owner", .text).notNull()
                table.column("status", .text).notNull()
                table.column("imageId", .text).notNull()
                table.column("originalFilename", .text).notNull()
                table.column("operations", .text).notNull()
                table.column("createdAt", .integer).notNull()
                table.column("startedAt", .integer)
                table.column("finishedAt", .integer)
                table.column("resultImageId", .text)
                table.column("error", .text)
                table.column("attempts", .integer).notNull()
                table.column("timings", .text).notNull()
            }
            try db.create(index: "job_owner_position", on: "job", columns: ["owner", "position"])
            try db.create(index: "job_status_position", on: "job", columns: ["status", "position"])
        }
        migrator.registerMigration("v2-fair-claims") { db in
            // Whose turn it is (M12): each claim gives the owner a higher turn; the lowest turn goes next.
            try db.execute(
                sql: """
                    CREATE TABLE ownerTurn (owner TEXT PRIMARY KEY NOT NULL, turn INTEGER NOT NULL);
                    CREATE INDEX job_status_owner_position ON job(status, owner, position);
                    """)
        }
        migrator.registerMigration("v3-typed-operations") { db in
            // The operations were JSON text; now they are the Wire encoding of `[ImageOperation]`, as they travel.
            try db.alter(table: "job") { table in
                table.add(column: "operationList", .blob).notNull().defaults(to: Data())
            }
            for row in try Row.fetchAll(db, sql: "SELECT position, operations FROM job") {
                let position: Int64 = row["position"]
                let text: String = row["operations"]
                let operations: [ImageOperation]
                do {
                    operations = try ImageOperation.parseList(Array(text.utf8), limit: .max)
                } catch {
                    // Every stored list was checked when its job was made; one that no longer reads ends
                    // its job, if unfinished, with the reason instead of stopping the migration.
                    operations = []
                    try db.execute(
                        sql: """
                            UPDATE job SET status = 'error', error = ?
                            WHERE position = ? AND status IN ('pending', 'running')
                            """,
                        arguments: ["The job's operations no longer read: \(error)", position])
                }
                try db.execute(
                    sql: "UPDATE job SET operationList = ? WHERE position = ?",
                    arguments: [try JobRow.encoded(operations), position])
            }
            try db.alter(table: "job") { table in table.drop(column: "operations") }
        }
        migrator.registerMigration("v4-leases") { db in
            // Who runs a job and until when: replicas on PostgreSQL need it, and both backends share the code.
            try db.alter(table: "job") { table in
                table.add(column: "leaseHolder", .text)
                table.add(column: "leaseUntil", .integer)
            }
        }
        return migrator
    }

    func insert(_ job: JobRow, quota: Int) async throws -> JobRow? {
        try await database.write { db in
            let queued = try JobRow.filter(
                Column("owner") == job.owner
                    && [JobStatus.pending.rawValue, JobStatus.running.rawValue].contains(Column("status"))
            ).fetchCount(db)
            guard queued < quota else { return nil }
            var inserted = job
            try inserted.insert(db)
            return inserted
        }
    }

    func job(id: String, owner: String) async throws -> JobRow? {
        try await database.read { db in
            try JobRow.filter(Column("id") == id && Column("owner") == owner).fetchOne(db)
        }
    }

    func jobs(owner: String, before position: Int64, limit: Int) async throws -> [JobRow] {
        try await database.read { db in
            try JobRow.filter(Column("owner") == owner && Column("position") < position)
                .order(Column("position").desc).limit(limit).fetchAll(db)
        }
    }

    func delete(id: String, owner: String) async throws -> Bool {
        try await database.write { db in
            try JobRow.filter(Column("id") == id && Column("owner") == owner).deleteAll(db) > 0
        }
    }

    func clear(owner: String, includeUnfinished: Bool) async throws -> Int {
        try await database.write { db in
            var request = JobRow.filter(Column("owner") == owner)
            if !includeUnfinished {
                request = request.filter(
                    [JobStatus.completed.rawValue, JobStatus.error.rawValue].contains(Column("status")))
            }
            let deleted = try request.deleteAll(db)
            if includeUnfinished { try db.execute(sql: "DELETE FROM ownerTurn WHERE owner = ?", arguments: [owner]) }
            return deleted
        }
    }

    func claim(_ lease: JobLease, now: Int64) async throws -> JobRow? {
        try await database.write { db in
            guard
                let row = try Row.fetchOne(db, sql: ownersInTurnOrder + " LIMIT 1"),
                var job = try JobRow.fetchOne(db, key: ["position": row["first"] as Int64])
            else { return nil }
            job.status = JobStatus.running.rawValue
            job.attempts += 1
            job.startedAt = now
            job.error = nil
            job.leaseHolder = lease.holder
            job.leaseUntil = lease.until
            try job.update(db)
            try db.execute(sql: ownerTakesTurn(parameter: "?1"), arguments: [job.owner])
            return job
        }
    }

    func renewLeases(holder: String, until: Int64) async throws {
        try await database.write { db in
            try db.execute(
                sql: "UPDATE job SET leaseUntil = ? WHERE leaseHolder = ? AND status = 'running'",
                arguments: [until, holder])
        }
    }

    func finish(_ id: String, holder: String, outcome: JobOutcome) async throws -> FinishResult {
        try await database.write { db in
            try db.execute(
                sql: """
                    UPDATE job SET status = ?, finishedAt = ?, resultImageId = ?, error = ?, timings = ?,
                        leaseHolder = NULL, leaseUntil = NULL
                    WHERE id = ? AND status = 'running' AND leaseHolder = ?
                    """,
                arguments: [
                    outcome.status.rawValue, outcome.finishedAt, outcome.resultImageId, outcome.error, outcome.timings,
                    id, holder,
                ])
            if db.changesCount > 0 { return .recorded }
            return try JobRow.filter(Column("id") == id).fetchCount(db) > 0 ? .leaseLost : .deleted
        }
    }

    func requeue(_ id: String, holder: String, attemptUsed: Bool) async throws {
        try await database.write { db in
            try db.execute(
                sql: """
                    UPDATE job SET status = 'pending', attempts = attempts - ?, leaseHolder = NULL, leaseUntil = NULL
                    WHERE id = ? AND status = 'running' AND leaseHolder = ?
                    """,
                arguments: [attemptUsed ? 0 : 1, id, holder])
        }
    }

    func reclaimExpired(now: Int64, maxAttempts: Int) async throws -> Int {
        try await reclaim(where: "leaseUntil IS NULL OR leaseUntil < \(now)", now: now, maxAttempts: maxAttempts)
    }

    func recoverAtStart(now: Int64, maxAttempts: Int) async throws {
        try await reclaim(where: "1", now: now, maxAttempts: maxAttempts)
    }

    /// Running jobs matching `condition` (SQL made here, never from input) end or go back to the queue.
    @discardableResult
    private func reclaim(where condition: String, now: Int64, maxAttempts: Int) async throws -> Int {
        try await database.write { db in
            try db.execute(
                sql: """
                    UPDATE job SET status = 'error', finishedAt = ?, error = \(stoppedWorkerReason),
                        leaseHolder = NULL, leaseUntil = NULL
                    WHERE status = 'running' AND attempts >= ? AND (\(condition))
                    """, arguments: [now, maxAttempts])
            var count = db.changesCount
            try db.execute(
                sql: """
                    UPDATE job SET status = 'pending', leaseHolder = NULL, leaseUntil = NULL
                    WHERE status = 'running' AND (\(condition))
                    """)
            count += db.changesCount
            return count
        }
    }
}

/// A row of `job`.
struct JobRow: Codable, FetchableRecord, MutablePersistableRecord, Sendable {
    static let databaseTableName = "job"
    var position: Int64?
    var id: String
    var owner: String
    var status: String
    var imageId: String
    var originalFilename: String
    /// The Wire encoding of the `[ImageOperation]` the job runs (`encoded(_:)`).
    var operationList: Data
    var createdAt: Int64
    var startedAt: Int64?
    var finishedAt: Int64?
    var resultImageId: String?
    var error: String?
    var attempts: Int
    /// A JSON object of stage → milliseconds.
    var timings: String
    /// The replica running the job, and until when its lease lasts (milliseconds since 1970).
    var leaseHolder: String? = nil
    var leaseUntil: Int64? = nil

    mutating func didInsert(_ inserted: InsertionSuccess) { position = inserted.rowID }

    /// The column's form of a list of operations.
    private struct StoredOperations: Codable {
        var operations: [ImageOperation]
        enum CodingKeys: Int, CodingKey { case operations = 1 }
    }

    static func encoded(_ operations: [ImageOperation]) throws -> Data {
        Data(try WireEncoder().encode(StoredOperations(operations: operations)))
    }

    /// The operations the job runs; a row that does not decode is data loss (its job fails with that).
    func operations() throws(WireError) -> [ImageOperation] {
        do {
            return try WireDecoder().decode(StoredOperations.self, from: Array(operationList)).operations
        } catch {
            throw WireError(.dataLoss, "Job \(id)'s stored operations do not decode: \(error)")
        }
    }

    var record: JobRecord {
        let stages = (try? JSONDecoder().decode([String: Double].self, from: Data(timings.utf8))) ?? [:]
        return JobRecord(
            id: id, owner: owner, status: JobStatus(rawValue: status) ?? .error, imageId: imageId,
            originalFilename: originalFilename, operations: (try? operations()) ?? [], createdAt: createdAt,
            startedAt: startedAt,
            finishedAt: finishedAt, resultImageId: resultImageId, error: error, attempts: attempts, timings: stages)
    }
}
