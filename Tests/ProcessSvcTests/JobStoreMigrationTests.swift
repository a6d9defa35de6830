import Contracts
import Foundation
import GRDB
import ImageOperations
import Testing

@testable import ProcessSvc

/// Jobs written before operations were typed (contract version 1 stored them as JSON text) read after
/// the upgrade as the same operations, typed; a row whose text no longer reads ends its job with why.
@Suite struct JobStoreMigrationTests {
    @Test func jobsStoredAsJSONTextReadTypedAfterTheUpgrade() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("jobs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("jobs.sqlite").path

        // The database as the previous release left it: migrated up to v2, operations as text.
        do {
            let old = try DatabaseQueue(path: path)
            try SQLiteJobStore.migrator.migrate(old, upTo: "v2-fair-claims")
            try old.write { db in
                for (id, status, text) in [
                    ("job_done", "completed", #"[{"op":"resize","width":100,"fit":"cover"},{"op":"flip"}]"#),
                    ("job_waiting", "pending", #"[{"op":"dehaze","patch":7}]"#),
                    ("job_broken", "pending", #"[{"op":"melt"}]"#),
                ] {
                    try db.execute(
                        sql: """
                            INSERT INTO job (id, owner, status, imageId, originalFilename, operations, createdAt,
                                             attempts, timings)
                            VALUES (?, 'usr_a', ?, 'img_1', 'a.jpg', ?, 1, 0, '{}')
                            """,
                        arguments: [id, status, text])
                }
            }
        }

        let store = try SQLiteJobStore(path: path)
        let rows = try store.database.read { db in
            try Dictionary(uniqueKeysWithValues: JobRow.fetchAll(db).map { ($0.id, $0) })
        }
        #expect(
            try rows["job_done"]?.operations()
                == [.resize(width: 100, height: nil, fit: .cover, filter: .area), .flip(.horizontal)])
        #expect(rows["job_done"]?.status == "completed")
        #expect(try rows["job_waiting"]?.operations() == [.dehaze(DehazeParameters(patch: 7))])
        #expect(rows["job_waiting"]?.status == "pending")
        let broken = try #require(rows["job_broken"])
        #expect(broken.status == "error" && broken.error?.contains("unknown operation 'melt'") == true)
        #expect(try broken.operations() == [])
        // The text column is gone: nothing reads it any more.
        let columns = try store.database.read { db in try db.columns(in: "job").map(\.name) }
        #expect(!columns.contains("operations") && columns.contains("operationList"))
    }
}
