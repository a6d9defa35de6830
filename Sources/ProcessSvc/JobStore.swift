import Contracts
import Foundation
import GRDB
import ImageOperations
import SQLiteSupport
import Wire

/// ProcessSvc's SQLite database: the jobs. One file in the service's state folder, WAL mode.
struct JobStore: Sendable {
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
        return migrator
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
