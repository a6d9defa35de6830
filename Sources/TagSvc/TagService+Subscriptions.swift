import AsyncHTTPClient
import Contracts
import Foundation
import Mail
import NIOCore
import Primitives
import TagIndex
import Wire

/// Subscriptions to tags, as SNS topics were in the AWS system Clearsky replaces: an email address or a webhook that confirmed
/// it wants them, told once per image that gains one of its tags.
extension TagService {
    /// Header of every webhook request: `t=<unix seconds>,sha256=<hex HMAC-SHA256 of "<t>.<body>" under the
    /// secret>`. The timestamp is signed with the body, so a receiver that refuses timestamps older than
    /// five minutes refuses replays (docs/api.md has the verifier).
    static let signatureHeader = "X-Clearsky-Signature"
    /// The same timestamp on its own, for receivers that log it.
    static let timestampHeader = "X-Clearsky-Timestamp"

    static func signature(body: String, timestamp: String, secret: String) -> String {
        let signed = Array("\(timestamp).".utf8) + Array(body.utf8)
        return "t=\(timestamp),sha256=" + Crypto.hex(Crypto.hmacSHA256(key: Array(secret.utf8), signed))
    }

    func subscribe(_ request: SubscribeRequest) async throws -> Subscription {
        let tags = try request.tags.map { tag throws(WireError) in try TagName.normalized(tag) }
        guard (1...20).contains(tags.count), Set(tags).count == tags.count else {
            throw WireError(.invalidArgument, "Give 1…20 distinct tags")
        }
        let count = try await subscriptionCount(owner: request.owner)
        guard count < settings.maxSubscriptions else {
            throw WireError(.resourceExhausted, "At most \(settings.maxSubscriptions) subscriptions per account")
        }
        try await admitSubscribeAttempt(owner: request.owner)
        let id = "sub_" + Crypto.hex(Crypto.randomBytes(12))
        let secret = Crypto.hex(Crypto.randomBytes(32))
        var status = SubscriptionStatus.active
        var confirmToken: String?
        let target: String
        switch request.channel {
        case .email:
            let account = request.accountEmail.map(Self.normalizedEmail)
            target = try Self.checkedEmail(request.target ?? account ?? "")
            if target != account || !request.accountEmailVerified {
                status = .pending
                confirmToken = Crypto.hex(Crypto.randomBytes(24))
            }
        case .webhook:
            guard let url = request.target else { throw WireError(.invalidArgument, "A webhook needs a target URL") }
            target = try Self.checkedWebhookURL(url)
            try await confirmWebhook(url: target, subscriptionId: id, secret: secret)
        }
        let subscription = Subscription(
            id: id, owner: request.owner, tags: tags, channel: request.channel, target: target, status: status,
            createdAt: nowMillis(), secret: request.channel == .webhook ? secret : nil)
        let (state, token) = (status, confirmToken)
        let baseURL = String(request.publicBaseURL.reversed().drop(while: { $0 == "/" }).reversed())
        let (time, settings) = (nowMillis(), settings)
        // A confirmation mail goes to an address nobody proved is theirs: few per address and per account
        // a day, whoever asks and however often they delete and re-create (M6).
        let day: Int64 = 86_400_000
        let confirmations =
            token == nil
            ? []
            : [
                RateEvent(
                    kind: "confirm-to", key: target, window: day, limit: settings.confirmationsPerAddressPerDay),
                RateEvent(
                    kind: "confirm-by", key: request.owner, window: day, limit: settings.confirmationsPerOwnerPerDay),
            ]
        let row = SubscriptionRow(
            id: id, owner: request.owner, channel: request.channel, target: target, secret: secret, status: state,
            confirmToken: token, baseURL: baseURL, createdAt: subscription.createdAt)
        if let wait = try await self.tags.insert(row, tags: tags, confirmations: confirmations, now: time) {
            throw WireError.tooManyRequests(retryAfter: Int((wait + 999) / 1000))
        }
        if let confirmToken {
            try await mail.deliver(
                MailMessage(
                    from: settings.mailFrom, to: target, subject: "Confirm your Clearsky subscription",
                    body: """
                        Someone asked Clearsky to tell this address about new images tagged \(tags.joined(separator: ", ")).

                        To confirm, open:
                        \(baseURL)/v1/subscriptions/confirm?token=\(confirmToken)

                        The link works for \(settings.confirmationLifetimeMillis / 86_400_000) days. If it was not you, ignore this message; nothing will be sent.
                        """))
        }
        return subscription
    }

    func subscriptions(owner: String) async throws -> SubscriptionList {
        SubscriptionList(items: try await tags.subscriptions(owner: owner))
    }

    func subscription(_ request: SubscriptionRequest) async throws -> Subscription {
        guard let found = try await tags.subscription(id: request.id, owner: request.owner) else {
            throw WireError(.notFound, "No subscription \(request.id)")
        }
        return found
    }

    func unsubscribe(_ request: SubscriptionRequest) async throws {
        guard try await tags.deleteSubscription(id: request.id, owner: request.owner) else {
            throw WireError(.notFound, "No subscription \(request.id)")
        }
    }

    /// Activates the pending subscription a mailed token names, if its link has not expired (L5).
    func confirm(_ request: ConfirmSubscriptionRequest) async throws -> Subscription {
        let oldest = nowMillis() - settings.confirmationLifetimeMillis
        guard let found = try await tags.confirmSubscription(token: request.token, createdAfter: oldest) else {
            throw WireError(.notFound, "No subscription waits for this confirmation, or its link expired")
        }
        return found
    }

    /// Counts a subscribe request of `owner`; TooManyRequests past `subscribesPerHour` in the last hour.
    /// Webhook subscriptions make Clearsky send a request and email ones a mail, so the attempts count,
    /// not the subscriptions kept.
    private func admitSubscribeAttempt(owner: String) async throws {
        let time = nowMillis()
        let event = RateEvent(kind: "subscribe", key: owner, window: 3_600_000, limit: settings.subscribesPerHour)
        if let wait = try await tags.admit(event, now: time, forgetBefore: time - 2 * 86_400_000) {
            throw WireError.tooManyRequests(retryAfter: Int((wait + 999) / 1000))
        }
    }

    private func subscriptionCount(owner: String) async throws -> Int {
        try await tags.subscriptionCount(owner: owner)
    }

    // MARK: Checking targets

    static func normalizedEmail(_ text: String) -> String {
        text.trimmingCharacters(in: .whitespaces).lowercased()
    }

    static func checkedEmail(_ text: String) throws(WireError) -> String {
        let address = normalizedEmail(text)
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard address.utf8.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
            !address.unicodeScalars.contains(where: { $0.value <= 0x20 || $0 == "<" || $0 == ">" || $0 == "," })
        else { throw WireError(.invalidArgument, "An email subscription needs a valid address (target)") }
        return address
    }

    static func checkedWebhookURL(_ text: String) throws(WireError) -> String {
        guard text.utf8.count <= 2048, let url = URL(string: text), let scheme = url.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty, url.user == nil
        else { throw WireError(.invalidArgument, "A webhook target is an http or https URL") }
        return text
    }

    /// Asks the webhook, as SNS does, whether it wants notifications: a signed
    /// `{"type":"SubscriptionConfirmation","challenge":…}` that it must answer with 2xx and the challenge
    /// in its body. What the user hears is only that the target is not allowed or did not confirm:
    /// nothing about ports, connection errors or timing (a scanner would learn from those).
    func confirmWebhook(url: String, subscriptionId: String, secret: String) async throws {
        let challenge = Crypto.hex(Crypto.randomBytes(16))
        let body = Self.json([
            "type": "SubscriptionConfirmation", "subscriptionId": subscriptionId, "challenge": challenge,
        ])
        let answer: (status: Int, body: String)
        do {
            answer = try await post(url: url, body: body, secret: secret, delivery: "confirm-\(subscriptionId)")
        } catch WebhookFailure.notAllowed {
            throw WireError(.webhookNotAllowed, OutboundPolicy.userMessage)
        } catch {
            throw WireError(.webhookNotConfirmed, Self.notConfirmed)
        }
        guard (200..<300).contains(answer.status), answer.body.contains(challenge) else {
            throw WireError(.webhookNotConfirmed, Self.notConfirmed)
        }
    }

    static let notConfirmed = "The webhook did not confirm: it must answer 2xx with the challenge in its body"

    /// POSTs a signed JSON body to the checked, pinned address of `url`, following no redirect; the
    /// status and (at most 64 KiB of) the body of the answer. Throws `WebhookFailure` only.
    func post(url: String, body: String, secret: String, delivery: String) async throws(WebhookFailure) -> (
        status: Int, body: String
    ) {
        let pinned: OutboundPolicy.Pinned
        switch await settings.outbound.check(url) {
        case .success(let checked): pinned = checked
        case .failure(let refusal):
            logger.info("Webhook target refused", metadata: ["delivery": "\(delivery)", "why": "\(refusal)"])
            throw .notAllowed
        }
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "Clearsky-Notifications/1")
        request.headers.add(name: "X-Clearsky-Delivery", value: delivery)
        let timestamp = String(nowMillis() / 1000)
        request.headers.add(name: Self.timestampHeader, value: timestamp)
        request.headers.add(
            name: Self.signatureHeader, value: Self.signature(body: body, timestamp: timestamp, secret: secret))
        request.body = .bytes(ByteBuffer(string: body))
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .milliseconds(settings.webhookTimeoutMillis)))
        let address = pinned.address.description
        configuration.dnsOverride = [pinned.host: address, "[\(pinned.host)]": address]
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        let outcome: Result<(status: Int, body: String), any Error>
        do {
            let response = try await client.execute(request, timeout: .milliseconds(settings.webhookTimeoutMillis))
            let answer = try await response.body.collect(upTo: 64 * 1024)
            outcome = .success((Int(response.status.code), String(buffer: answer)))
        } catch {
            outcome = .failure(error)
        }
        try? await client.shutdown()
        switch outcome {
        case .success(let answer): return answer
        case .failure(let error):
            logger.debug("Webhook did not answer", metadata: ["delivery": "\(delivery)", "error": "\(error)"])
            throw .noAnswer
        }
    }

    static func json(_ object: Any) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
