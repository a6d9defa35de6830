import Contracts
import Foundation
import GRDB
import Wire

/// ProcessSvc's SQLite database: the jobs. One file in the service's state folder, WAL mode.
struct JobStore: Sendable {
    let database: DatabasePool

    /// The jobs database in the service's state folder.
    init(folder: String) throws { try self.init(path: "\(folder)/jobs.sqlite") }

    init(path: String) throws {
        database = try DatabasePool(path: path)
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
    var operations: String
    var createdAt: Int64
    var startedAt: Int64?
    var finishedAt: Int64?
    var resultImageId: String?
    var error: String?
    var attempts: Int
    /// A JSON object of stage → milliseconds.
    var timings: String

    mutating func didInsert(_ inserted: InsertionSuccess) { position = inserted.rowID }

    var record: JobRecord {
        let stages = (try? JSONDecoder().decode([String: Double].self, from: Data(timings.utf8))) ?? [:]
        return JobRecord(
            id: id, owner: owner, status: JobStatus(rawValue: status) ?? .error, imageId: imageId,
            originalFilename: originalFilename, operations: operations, createdAt: createdAt, startedAt: startedAt,
            finishedAt: finishedAt, resultImageId: resultImageId, error: error, attempts: attempts, timings: stages)
    }
}
