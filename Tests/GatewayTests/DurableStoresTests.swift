import Foundation
import GRDB
import TagIndex
import Testing
import WireTesting

@testable import AuthSvc
@testable import ProcessSvc
@testable import StoreSvc

/// Every service's database commits with `synchronous = FULL` (review M15): an acknowledged sign-up,
/// revocation, password change or delete survives a power loss, not only a crash.
@Suite struct DurableStoresTests {
    @Test func everyStoreSyncsEachCommit() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let databases: [(String, DatabasePool)] = [
            ("users", try SQLiteUserStore(path: "\(folder)/users.sqlite").database),
            ("images", try SQLiteImageStore(path: "\(folder)/images.sqlite").database),
            ("jobs", try SQLiteJobStore(path: "\(folder)/jobs.sqlite").database),
            ("tags", try TagStore(path: "\(folder)/tags.sqlite").database),
        ]
        for (name, database) in databases {
            let mode = try database.writeWithoutTransaction { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
            let synchronous = try database.writeWithoutTransaction {
                try Int.fetchOne($0, sql: "PRAGMA synchronous")
            }
            #expect(mode == "wal", "\(name)")
            #expect(synchronous == 2, "\(name): synchronous \(String(describing: synchronous)), FULL is 2")
        }
    }
}
