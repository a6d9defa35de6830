import Contracts
import Foundation
import GRDB
import TestImages
import TestServers
import Testing
import Wire
import WireTesting

@testable import TagSvc

/// M13: webhooks that never answer hold a few slots, not the whole notifier.
@Suite struct DeliverySlotsTests {
    @Test func aBlackHoleWebhookDoesNotHoldBackOtherAccounts() async throws {
        var settings = TagHarness.quickRetries
        settings.webhookTimeoutMillis = 60_000
        (settings.deliveryConcurrency, settings.deliveriesPerOwner) = (4, 2)
        try await TagHarness.run(settings: settings) { harness in
            let blackHole = WebhookReceiver(stalling: true)
            let receiver = WebhookReceiver()
            try await blackHole.run { holeURL in
                try await receiver.run { url in
                    let (mallory, alice) = (TagHarness.owner(), TagHarness.owner())
                    for index in 0..<3 {
                        _ = try await SubscriptionTests.subscribeWebhook(
                            harness, owner: mallory, url: holeURL + "/\(index)", tags: ["car"])
                    }
                    _ = try await SubscriptionTests.subscribeWebhook(
                        harness, owner: alice, url: url + "/hook", tags: ["car"])
                    try await running([Notifier(service: harness.service)]) {
                        let hers = try await harness.put(mallory, TestImages.building)
                        try await harness.service.tagImage(owner: mallory, id: hers.id, sequence: 1)
                        func stalled() -> Int { blackHole.received.filter { $0.status == 0 }.count }
                        // Mallory's account gets its two slots; the third notification waits.
                        #expect(try await eventually { stalled() == 2 })
                        let mine = try await harness.put(alice, TestImages.building)
                        try await harness.service.tagImage(owner: alice, id: mine.id, sequence: 2)
                        // Alice is served while Mallory's attempts are still hanging.
                        #expect(try await eventually(timeout: .seconds(20)) { receiver.delivered.count == 1 })
                        let unfinished = try await harness.service.sqlite.read { db in
                            try Int.fetchOne(
                                db,
                                sql: """
                                    SELECT COUNT(*) FROM delivery d JOIN subscription s ON s.id = d.subscriptionId
                                    WHERE s.owner = ? AND d.status = 'pending' AND d.attempts = 0
                                    """, arguments: [mallory])
                        }
                        #expect(unfinished == 3)
                        #expect(stalled() == 2)
                    }
                }
            }
        }
    }
}
