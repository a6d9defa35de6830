import Foundation
import GRDB
import Testing

@testable import TagSvc

/// The notification queue keeps pending deliveries and recent finished ones; older finished ones are
/// pruned (L6).
@Suite struct DeliveryPruningTests {
    @Test func finishedDeliveriesOlderThanTheRetentionGo() async throws {
        try await TagHarness.run { tag in
            let now = tag.service.nowMillis()
            let day: Int64 = 86_400_000
            try await tag.service.sqlite.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO subscription (id, owner, channel, target, secret, status, confirmToken, baseURL, createdAt)
                        VALUES ('sub_1', 'owner', 'email', 'a@example.com', '', 'active', NULL, 'http://localhost', ?)
                        """, arguments: [now - 30 * day])
                // (status, finished days ago, next attempt days ago)
                let rows: [(String, Int64?, Int64)] = [
                    ("delivered", 8, 8), ("dropped", 9, 9), ("delivered", 6, 6), ("pending", nil, 10),
                ]
                for (index, row) in rows.enumerated() {
                    try db.execute(
                        sql: """
                            INSERT INTO delivery (subscriptionId, imageId, dedupe, payload, status, attempts,
                                nextAttemptAt, createdAt, finishedAt)
                            VALUES ('sub_1', ?, ?, '{}', ?, 1, ?, ?, ?)
                            """,
                        arguments: [
                            "img_\(index)", "d\(index)", row.0, now - row.2 * day, now - 10 * day,
                            row.1.map { now - $0 * day },
                        ])
                }
            }
            #expect(try await tag.service.pruneDeliveries() == 2)
            let left = try await tag.service.sqlite.read { db in
                try String.fetchAll(db, sql: "SELECT imageId FROM delivery ORDER BY imageId")
            }
            // The recent delivery and the pending one (whatever its age) stay.
            #expect(left == ["img_2", "img_3"])
            #expect(try await tag.service.pruneDeliveries() == 0)
        }
    }
}
