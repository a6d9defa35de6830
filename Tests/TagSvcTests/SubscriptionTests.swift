import Contracts
import Foundation
import Mail
import Primitives
import TagIndex
import TestImages
import TestServers
import Testing
import Wire
import WireTesting

@testable import TagSvc

@Suite struct SubscriptionTests {
    static func subscribeWebhook(_ harness: TagHarness, owner: String, url: String, tags: [String]) async throws
        -> Subscription
    {
        try await harness.tag.call(
            TagContract.subscribe,
            SubscribeRequest(
                owner: owner, tags: tags, channel: .webhook, target: url, publicBaseURL: "http://clearsky.test"))
    }

    /// The documented verifier: `t=<seconds>,sha256=<HMAC of "<t>.<body>">`, and the timestamp no
    /// older than five minutes.
    static func signature(_ body: String, secret: String, header: String?) -> Bool {
        guard let header, let timestamp = header.firstMatch(of: /^t=(\d+),sha256=[0-9a-f]{64}$/)?.1,
            let seconds = Int(timestamp), abs(Int(Date().timeIntervalSince1970) - seconds) <= 300
        else { return false }
        let signed = Array("\(timestamp).".utf8) + Array(body.utf8)
        return header == "t=\(timestamp),sha256=" + Crypto.hex(Crypto.hmacSHA256(key: Array(secret.utf8), signed))
    }

    /// The webhook confirms, fails the first two deliveries and gets the third, each signed with the
    /// subscription's secret.
    @Test(arguments: StoreBackend.allCases)
    func webhooksAreSignedAndRetriedUntilDelivered(_ backend: StoreBackend) async throws {
        try await TagHarness.run(backend) { harness in
            let receiver = WebhookReceiver(failures: 2)
            try await receiver.run { url in
                let owner = TagHarness.owner()
                let subscription = try await Self.subscribeWebhook(
                    harness, owner: owner, url: url + "/hook", tags: ["person", "dog"])
                let secret = try #require(subscription.secret)
                #expect(subscription.status == .active)
                let confirmation = try #require(receiver.received.first)
                #expect(confirmation.body.contains("SubscriptionConfirmation"))
                #expect(
                    Self.signature(
                        confirmation.body, secret: secret, header: confirmation.headers["x-clearsky-signature"]))

                try await running([
                    DetectionConsumer(service: harness.service, wait: .milliseconds(200)),
                    Notifier(service: harness.service),
                ]) {
                    let street = try await harness.put(owner, TestImages.street)
                    #expect(try await eventually { receiver.delivered.count == 1 })
                    let notification = try #require(receiver.delivered.first)
                    #expect(receiver.received.count == 4)  // the confirmation, two refusals, the delivery
                    #expect(notification.path == "/hook")
                    let header = notification.headers["x-clearsky-signature"]
                    #expect(Self.signature(notification.body, secret: secret, header: header))
                    #expect(!Self.signature(notification.body, secret: "x", header: header))
                    #expect(!Self.signature(notification.body + " ", secret: secret, header: header))
                    // A replay with a new timestamp under the old signature fails.
                    let replayed = header?.replacing(/t=\d+/, with: "t=\(Int(Date().timeIntervalSince1970) + 1)")
                    #expect(!Self.signature(notification.body, secret: secret, header: replayed))
                    let payload = try #require(
                        try JSONSerialization.jsonObject(with: Data(notification.body.utf8)) as? [String: Any])
                    #expect(payload["type"] as? String == "image.tagged")
                    #expect(payload["matched"] as? [String] == ["person"])
                    let image = try #require(payload["image"] as? [String: Any])
                    #expect(image["id"] as? String == street.id)
                    #expect(image["thumbnailUrl"] as? String == "http://clearsky.test/v1/images/\(street.id)/thumbnail")
                    #expect(
                        (payload["tags"] as? [[String: Any]])?.compactMap { $0["tag"] as? String } == ["car", "person"])
                    // The receiver has answered; the outcome is recorded just after.
                    let request = SubscriptionRequest(owner: owner, id: subscription.id)
                    let recorded = try await eventually {
                        try await harness.tag.call(TagContract.getSubscription, request).delivered == 1
                    }
                    #expect(recorded)
                    let stats = try await harness.tag.call(TagContract.getSubscription, request)
                    #expect((stats.delivered, stats.pending, stats.dropped) == (1, 0, 0))
                    #expect(stats.secret == nil)
                }
            }
        }
    }

    /// A notification waiting for its retry is in SQLite: a new TagService over the same folder sends it.
    @Test(arguments: StoreBackend.allCases)
    func aRestartMidRetryStillDelivers(_ backend: StoreBackend) async throws {
        var settings = TagHarness.quickRetries
        settings.retryDelayMillis = 400
        try await TagHarness.run(backend, settings: settings) { harness in
            let receiver = WebhookReceiver(failures: 1)
            try await receiver.run { url in
                let owner = TagHarness.owner()
                _ = try await Self.subscribeWebhook(harness, owner: owner, url: url, tags: ["car"])
                let building = try await harness.put(owner, TestImages.building)
                try await harness.service.tagImage(owner: owner, id: building.id, sequence: 1)
                // The first attempt fails; the process "dies" before the retry falls due.
                _ = try await harness.service.deliverDue()
                #expect(receiver.received.count == 2 && receiver.delivered.isEmpty)

                let restarted = try await harness.restarted()
                try await running([Notifier(service: restarted)]) {
                    #expect(try await eventually { receiver.delivered.count == 1 })
                }
                #expect(receiver.delivered.first?.body.contains(building.id) == true)
            }
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func aNotificationIsDroppedAfterTheBudgetWithTheReason(_ backend: StoreBackend) async throws {
        try await TagHarness.run(backend) { harness in
            let receiver = WebhookReceiver(failures: 100)
            try await receiver.run { url in
                let owner = TagHarness.owner()
                let subscription = try await Self.subscribeWebhook(harness, owner: owner, url: url, tags: ["car"])
                let building = try await harness.put(owner, TestImages.building)
                try await harness.service.tagImage(owner: owner, id: building.id, sequence: 1)
                let request = SubscriptionRequest(owner: owner, id: subscription.id)
                try await running([Notifier(service: harness.service)]) {
                    let dropped = try await eventually {
                        try await harness.tag.call(TagContract.getSubscription, request).dropped == 1
                    }
                    #expect(dropped)
                }
                let stats = try await harness.tag.call(TagContract.getSubscription, request)
                #expect(stats.lastError?.contains("Gave up after 5 attempts") == true)
                #expect(stats.lastError?.contains("HTTP 500") == true)
                #expect(receiver.received.count == 6)  // the confirmation and five attempts
            }
        }
    }

    /// A subscription fires on its owner's images and on public ones, never on another user's private image.
    @Test(arguments: StoreBackend.allCases)
    func subscriptionsNeverSeeAnotherUsersPrivateImages(_ backend: StoreBackend) async throws {
        try await TagHarness.run(backend) { harness in
            let receiver = WebhookReceiver()
            try await receiver.run { url in
                let (owner, follower) = (TagHarness.owner(), TagHarness.owner())
                _ = try await Self.subscribeWebhook(harness, owner: follower, url: url + "/follower", tags: ["car"])
                _ = try await Self.subscribeWebhook(harness, owner: owner, url: url + "/owner", tags: ["car"])
                let secret = try await harness.put(owner, TestImages.street)
                let shown = try await harness.put(owner, TestImages.building, visibility: .public)
                try await harness.service.tagImage(owner: owner, id: secret.id, sequence: 1)
                try await harness.service.tagImage(owner: owner, id: shown.id, sequence: 2)
                try await running([Notifier(service: harness.service)]) {
                    #expect(try await eventually { receiver.delivered.count == 3 })
                    try await Task.sleep(for: .milliseconds(300))
                }
                let followed = receiver.delivered.filter { $0.path == "/follower" }
                #expect(followed.count == 1)
                #expect(followed.first?.body.contains(shown.id) == true)
                #expect(receiver.delivered.filter { $0.path == "/owner" }.count == 2)
            }
        }
    }

    /// A person's edit that adds a followed tag notifies too; one that adds nothing new does not.
    @Test(arguments: StoreBackend.allCases)
    func editsThatAddAFollowedTagNotify(_ backend: StoreBackend) async throws {
        try await TagHarness.run(backend) { harness in
            let receiver = WebhookReceiver()
            try await receiver.run { url in
                let owner = TagHarness.owner()
                _ = try await Self.subscribeWebhook(harness, owner: owner, url: url, tags: ["cat"])
                let building = try await harness.put(owner, TestImages.building)
                try await harness.service.tagImage(owner: owner, id: building.id, sequence: 1)
                let add = BulkTagsRequest(owner: owner, imageIds: [building.id], add: [TagTerm(tag: "cat")])
                _ = try await harness.tag.call(TagContract.bulkEdit, add)
                _ = try await harness.tag.call(TagContract.bulkEdit, add)
                try await running([Notifier(service: harness.service)]) {
                    #expect(try await eventually { receiver.delivered.count == 1 })
                    try await Task.sleep(for: .milliseconds(300))
                }
                #expect(receiver.delivered.count == 1)
            }
        }
    }

    /// Email through a real SMTP server (aiosmtpd): the account's verified address is active at once.
    @Test(arguments: StoreBackend.allCases)
    func emailNotificationsGoThroughSMTP(_ backend: StoreBackend) async throws {
        let sink = try await SMTPSink.start()
        defer { sink.stop() }
        try await TagHarness.run(backend, mail: SMTPDelivery(host: "127.0.0.1", port: sink.port)) { harness in
            let owner = TagHarness.owner()
            let subscription = try await harness.tag.call(
                TagContract.subscribe,
                SubscribeRequest(
                    owner: owner, tags: ["person"], channel: .email, accountEmail: "Ann@Example.com",
                    accountEmailVerified: true, publicBaseURL: "http://clearsky.test/"))
            #expect(subscription.status == .active)
            #expect(subscription.target == "ann@example.com")
            let street = try await harness.put(owner, TestImages.street)
            try await harness.service.tagImage(owner: owner, id: street.id, sequence: 1)
            try await running([Notifier(service: harness.service)]) {
                #expect(try await eventually { sink.messages().count == 1 })
            }
            let message = try #require(sink.messages().first)
            #expect(message.contains("X-Envelope-To: ann@example.com"))
            #expect(message.contains("Subject: New image tagged person"))
            #expect(message.contains("http://clearsky.test/v1/images/\(street.id)/thumbnail"))
            #expect(message.contains("person ×2"))
        }
    }

    /// Another address must confirm through the link mailed to it before anything is sent there.
    @Test(arguments: StoreBackend.allCases)
    func anotherAddressConfirmsFirst(_ backend: StoreBackend) async throws {
        try await TagHarness.run(backend) { harness in
            let owner = TagHarness.owner()
            let subscription = try await harness.tag.call(
                TagContract.subscribe,
                SubscribeRequest(
                    owner: owner, tags: ["car"], channel: .email, target: "friend@example.org",
                    accountEmail: "ann@example.com", accountEmailVerified: true, publicBaseURL: "http://clearsky.test"))
            #expect(subscription.status == .pending)
            let messages = try harness.outbox.messages()
            let mail = try #require(messages.first?.text)
            #expect(mail.contains("To: friend@example.org"))
            let token = try #require(mail.range(of: "token=").map { mail[$0.upperBound...].prefix(48) })

            // Pending: an image with the tag queues nothing.
            let building = try await harness.put(owner, TestImages.building)
            try await harness.service.tagImage(owner: owner, id: building.id, sequence: 1)
            let request = SubscriptionRequest(owner: owner, id: subscription.id)
            #expect(try await harness.tag.call(TagContract.getSubscription, request).pending == 0)

            let wrong = ConfirmSubscriptionRequest(token: "nope")
            #expect(
                await wireCode { _ = try await harness.tag.call(TagContract.confirmSubscription, wrong) } == .notFound)
            let confirmed = try await harness.tag.call(
                TagContract.confirmSubscription, ConfirmSubscriptionRequest(token: String(token)))
            #expect(confirmed.status == .active)
            let again = ConfirmSubscriptionRequest(token: String(token))
            #expect(
                await wireCode { _ = try await harness.tag.call(TagContract.confirmSubscription, again) } == .notFound)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func badSubscriptionsAreRefusedAndOnlyTheOwnerUnsubscribes(_ backend: StoreBackend) async throws {
        try await TagHarness.run(backend) { harness in
            let owner = TagHarness.owner()
            func code(_ request: SubscribeRequest) async -> WireError.Code? {
                await wireCode { _ = try await harness.tag.call(TagContract.subscribe, request) }
            }
            let base = "http://clearsky.test"
            #expect(
                await code(
                    SubscribeRequest(owner: owner, tags: [], channel: .email, target: "a@b.co", publicBaseURL: base))
                    == .invalidArgument)
            #expect(
                await code(
                    SubscribeRequest(
                        owner: owner, tags: ["car"], channel: .email, target: "not an address", publicBaseURL: base))
                    == .invalidArgument)
            #expect(
                await code(SubscribeRequest(owner: owner, tags: ["car"], channel: .email, publicBaseURL: base))
                    == .invalidArgument)
            #expect(
                await code(
                    SubscribeRequest(
                        owner: owner, tags: ["car"], channel: .webhook, target: "ftp://x.org/", publicBaseURL: base))
                    == .invalidArgument)
            #expect(
                await code(SubscribeRequest(owner: owner, tags: ["car"], channel: .webhook, publicBaseURL: base))
                    == .invalidArgument)
            // Nobody listens there: the webhook cannot confirm.
            #expect(
                await code(
                    SubscribeRequest(
                        owner: owner, tags: ["car"], channel: .webhook, target: "http://127.0.0.1:9/",
                        publicBaseURL: base)) == .webhookNotConfirmed)

            let receiver = WebhookReceiver()
            try await receiver.run { url in
                let subscription = try await Self.subscribeWebhook(
                    harness, owner: owner, url: url, tags: ["car", "Dog"])
                #expect(subscription.tags == ["car", "dog"])
                let list = try await harness.tag.call(TagContract.listSubscriptions, OwnerRequest(owner: owner))
                #expect(list.items.map(\.id) == [subscription.id])
                let theirs = SubscriptionRequest(owner: TagHarness.owner(), id: subscription.id)
                #expect(await wireCode { try await harness.tag.call(TagContract.unsubscribe, theirs) } == .notFound)
                #expect(
                    await wireCode { _ = try await harness.tag.call(TagContract.getSubscription, theirs) } == .notFound)
                let mine = SubscriptionRequest(owner: owner, id: subscription.id)
                try await harness.tag.call(TagContract.unsubscribe, mine)
                #expect(
                    try await harness.tag.call(TagContract.listSubscriptions, OwnerRequest(owner: owner)).items.isEmpty)
            }
        }
    }
}
