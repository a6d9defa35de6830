import Contracts
import Foundation
import GRDB
import TestImages
import TestServers
import Testing
import Wire
import WireTesting

@testable import TagSvc

/// L12: TagSvc acts on an image's visibility as StoreSvc has it now, not as the last event left it.
@Suite struct VisibilityFreshnessTests {
    @Test func anEditRightAfterGoingPrivateNotifiesNoOneElse() async throws {
        try await TagHarness.run { harness in
            let (owner, watcher) = (TagHarness.owner(), TagHarness.owner())
            let receiver = WebhookReceiver()
            try await receiver.run { url in
                let subscription = try await SubscriptionTests.subscribeWebhook(
                    harness, owner: watcher, url: url + "/hook", tags: ["kite", "balloon"])
                func queued() async throws -> Int {
                    try await harness.service.sqlite.read { db in
                        try Int.fetchOne(
                            db, sql: "SELECT COUNT(*) FROM delivery WHERE subscriptionId = ?",
                            arguments: [subscription.id]) ?? 0
                    }
                }
                let image = try await harness.store.call(
                    StoreContract.putImage,
                    PutImageRequest(
                        owner: owner, key: "k.jpg", filename: "k.jpg", visibility: .public, bytes: TestImages.building))
                try await harness.service.tagImage(owner: owner, id: image.id, sequence: 1)
                // While public, an edit that adds a followed tag notifies the watcher.
                _ = try await harness.tag.call(
                    TagContract.setTags,
                    SetTagsRequest(owner: owner, imageId: image.id, tags: [TagTerm(tag: "balloon")]))
                #expect(try await queued() == 1)
                // Replaced as private; TagSvc has not handled that event yet.
                let replaced = try await harness.store.call(
                    StoreContract.putImage,
                    PutImageRequest(
                        owner: owner, key: "k.jpg", overwrite: true, filename: "k.jpg", visibility: .private,
                        bytes: TestImages.building))
                #expect(replaced.id == image.id && replaced.visibility == .private)
                _ = try await harness.tag.call(
                    TagContract.setTags,
                    SetTagsRequest(
                        owner: owner, imageId: image.id, tags: [TagTerm(tag: "balloon"), TagTerm(tag: "kite")]))
                #expect(try await queued() == 1)
            }
        }
    }
}
