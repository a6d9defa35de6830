import Contracts
import Foundation
import TestServers
import Testing
import Wire
import WireTesting

@testable import TagSvc

/// M6 and L5: subscriptions cannot make Clearsky a mail cannon, and confirmation links expire.
@Suite struct SubscribeLimitTests {
    let base = "http://clearsky.test"

    private func subscribe(_ harness: TagHarness, owner: String, target: String?) async throws -> Subscription {
        try await harness.tag.call(
            TagContract.subscribe,
            SubscribeRequest(
                owner: owner, tags: ["car"], channel: .email, target: target, accountEmail: "me@example.com",
                accountEmailVerified: true, publicBaseURL: base))
    }

    private func refusal(_ harness: TagHarness, owner: String, target: String?) async -> WireError? {
        do {
            _ = try await subscribe(harness, owner: owner, target: target)
            return nil
        } catch let error as WireError {
            return error
        } catch {
            return WireError(.internal, "\(error)")
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func subscribeAttemptsPerAccountAreCountedEvenWhenDeleted(_ backend: StoreBackend) async throws {
        var settings = TagHarness.quickRetries
        settings.subscribesPerHour = 3
        try await TagHarness.run(backend, settings: settings) { harness in
            let owner = TagHarness.owner()
            for _ in 0..<3 {
                let made = try await subscribe(harness, owner: owner, target: nil)
                try await harness.tag.call(TagContract.unsubscribe, SubscriptionRequest(owner: owner, id: made.id))
            }
            let refused = try #require(await refusal(harness, owner: owner, target: nil))
            #expect(refused.code == .tooManyRequests)
            #expect((refused.retryAfterSeconds ?? 0) > 3_000 && (refused.retryAfterSeconds ?? 0) <= 3_600)
            // Someone else is not held back.
            _ = try await subscribe(harness, owner: TagHarness.owner(), target: nil)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func oneAddressGetsFewConfirmationMailsWhoeverAsks(_ backend: StoreBackend) async throws {
        var settings = TagHarness.quickRetries
        (settings.confirmationsPerAddressPerDay, settings.confirmationsPerOwnerPerDay) = (2, 3)
        try await TagHarness.run(backend, settings: settings) { harness in
            func mails(to address: String) throws -> Int {
                try harness.outbox.messages().filter { $0.text.contains("To: \(address)") }.count
            }
            let (alice, bob) = (TagHarness.owner(), TagHarness.owner())
            let first = try await subscribe(harness, owner: alice, target: "victim@example.org")
            try await harness.tag.call(TagContract.unsubscribe, SubscriptionRequest(owner: alice, id: first.id))
            _ = try await subscribe(harness, owner: alice, target: "victim@example.org")
            #expect(await refusal(harness, owner: bob, target: "victim@example.org")?.code == .tooManyRequests)
            #expect(try mails(to: "victim@example.org") == 2)
            // An account's own budget of confirmation mails, across addresses.
            _ = try await subscribe(harness, owner: alice, target: "second@example.org")
            #expect(await refusal(harness, owner: alice, target: "third@example.org")?.code == .tooManyRequests)
            #expect(try mails(to: "third@example.org") == 0)
            // Its verified address needs no confirmation and so no mail budget.
            #expect(try await subscribe(harness, owner: alice, target: nil).status == .active)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func aConfirmationLinkExpires(_ backend: StoreBackend) async throws {
        var settings = TagHarness.quickRetries
        settings.confirmationLifetimeMillis = 50
        try await TagHarness.run(backend, settings: settings) { harness in
            _ = try await subscribe(harness, owner: TagHarness.owner(), target: "late@example.org")
            let mail = try #require(try harness.outbox.messages().last?.text)
            let token = try #require(mail.firstMatch(of: /token=([0-9a-f]+)/)?.1)
            try await Task.sleep(for: .milliseconds(120))
            let late = await wireCode {
                _ = try await harness.tag.call(
                    TagContract.confirmSubscription, ConfirmSubscriptionRequest(token: String(token)))
            }
            #expect(late == .notFound)
        }
    }
}
