import Contracts
import Foundation
import TestImages
import TestServers
import Testing
import Wire
import WireTesting

@testable import TagSvc

/// Two TagSvc replicas on one PostgreSQL schema, each with its detection consumer and its notifier: the
/// log's events are shared between them, and every notification goes out once.
@Suite struct TagReplicaTests {
    @Test func twoReplicasTagEveryImageAndNotifyOnce() async throws {
        try await TagHarness.run(.postgres) { harness in
            let other = try await harness.restarted()
            let receiver = WebhookReceiver()
            try await receiver.run { url in
                let owner = TagHarness.owner()
                _ = try await SubscriptionTests.subscribeWebhook(
                    harness, owner: owner, url: url + "/hook", tags: ["person"])
                try await running([
                    DetectionConsumer(service: harness.service, wait: .milliseconds(200), holder: "replica-a"),
                    DetectionConsumer(service: other, wait: .milliseconds(200), holder: "replica-b"),
                    Notifier(service: harness.service), Notifier(service: other),
                ]) {
                    var ids: [String] = []
                    for _ in 0..<12 { ids.append(try await harness.put(owner, TestImages.street).id) }
                    #expect(try await eventually(timeout: .seconds(60)) { receiver.delivered.count >= 12 })
                    // Redelivered to both at once (as after a lease ran out): the second finds nothing gained.
                    let again = ids[0]
                    async let first: Void = harness.service.tagImage(owner: owner, id: again, sequence: 1)
                    async let second: Void = other.tagImage(owner: owner, id: again, sequence: 1)
                    _ = try await (first, second)
                    try await Task.sleep(for: .seconds(1))
                    let notified = receiver.delivered.compactMap { delivery in
                        ids.first { delivery.body.contains($0) }
                    }
                    #expect(notified.count == 12, "\(receiver.delivered.count) deliveries")
                    #expect(Set(notified) == Set(ids))
                    for id in ids {
                        let tags = try await harness.tag.call(
                            TagContract.tagsOf, TagsOfRequest(caller: owner, imageIds: [id]))
                        #expect(tags.items.first?.tagging == .done)
                    }
                }
            }
        }
    }
}
