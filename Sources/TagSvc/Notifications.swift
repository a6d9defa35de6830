import Contracts
import Foundation
import Logging
import Mail
import ServiceLifecycle
import Synchronization
import TagIndex
import Wire

extension TagService {
    /// How a change that may queue notifications names itself (`reason`: doing it again queues nothing
    /// twice) and builds their bodies: one per active subscription the gained tags concern, the
    /// subscriber's own image or a public one.
    func notifications(reason: String) -> Notifications {
        let time = nowMillis()
        return Notifications(reason: reason, now: time) { id, baseURL, matched, image, tags in
            Self.json([
                "type": "image.tagged",
                "subscriptionId": id,
                "matched": matched,
                "image": [
                    "id": image.id, "visibility": image.visibility,
                    "url": baseURL + ImageURLs.content(image.id),
                    "thumbnailUrl": baseURL + ImageURLs.thumbnail(image.id),
                ],
                "tags": tags.map { tag -> [String: Any] in
                    var entry: [String: Any] = ["tag": tag.tag, "count": tag.count, "source": tag.source.rawValue]
                    if let confidence = tag.confidence { entry["confidence"] = confidence }
                    return entry
                },
                "at": Date(timeIntervalSince1970: Double(time) / 1000).formatted(.iso8601),
            ])
        }
    }

    /// Takes the notifications due now, oldest first, at most `deliveriesPerOwner` per subscriber's
    /// account counting those taken and not finished (by any replica); each is held for
    /// `deliveryLeaseMillis`, so another sender does not take it meanwhile.
    func dueDeliveries(limit: Int) async throws -> [Delivery] {
        try await tags.claimDeliveries(
            limit: limit, perOwner: max(1, settings.deliveriesPerOwner), now: nowMillis(),
            lease: settings.deliveryLeaseMillis)
    }

    /// How long until a pending notification falls due (at most a second; zero if one is due now).
    func nextDueWait() async throws -> Duration {
        guard let first = try await tags.nextDeliveryDue() else { return .seconds(1) }
        return .milliseconds(min(1000, max(0, first - nowMillis())))
    }

    /// One round, for tests: sends what is due now and waits for every attempt.
    func deliverDue() async throws -> Duration {
        let due = try await dueDeliveries(limit: settings.deliveryConcurrency)
        await withTaskGroup(of: Void.self) { group in
            for item in due { group.addTask { await self.attempt(item) } }
        }
        return try await nextDueWait()
    }

    /// One attempt at one notification, and its outcome recorded: delivered, retried later with
    /// exponential backoff and jitter, or dropped once the budget is spent.
    func attempt(_ item: Delivery) async {
        var failure: String?
        do {
            switch item.channel {
            case .webhook:
                let answer = try await post(
                    url: item.target, body: item.payload, secret: item.secret, delivery: String(item.id))
                if !(200..<300).contains(answer.status) { failure = "The webhook answered HTTP \(answer.status)" }
            case .email:
                try await mail.deliver(Self.email(payload: item.payload, to: item.target, from: settings.mailFrom))
            }
        } catch let error as WebhookFailure {
            failure = error.description
        } catch {
            // A mail relay's reply can name hosts and accounts: the log keeps it, the subscriber sees less.
            logger.info("Notification mail not delivered", metadata: ["delivery": "\(item.id)", "error": "\(error)"])
            failure = "The mail server did not take the message"
        }
        // Cut off by a shutdown: not an attempt; the notification stays due for the next start.
        if Task.isCancelled { return }
        let attempts = item.attempts + 1
        let time = nowMillis()
        do {
            let outcome: DeliveryOutcome
            if let failure {
                outcome =
                    attempts >= settings.deliveryAttempts
                    ? .dropped(attempts: attempts, at: time, error: "Gave up after \(attempts) attempts: \(failure)")
                    : .retry(attempts: attempts, at: time + settings.backoff(afterAttempt: attempts), error: failure)
            } else {
                outcome = .delivered(attempts: attempts, at: time)
            }
            try await tags.finishDelivery(item.id, outcome)
        } catch {
            logger.error("Notification outcome not recorded", metadata: ["delivery": "\(item.id)", "why": "\(error)"])
        }
        if let failure {
            logger.info("Notification not delivered", metadata: ["delivery": "\(item.id)", "why": "\(failure)"])
        }
    }

    /// The plain-text email of a notification.
    static func email(payload: String, to address: String, from: String) -> MailMessage {
        let object = (try? JSONSerialization.jsonObject(with: Data(payload.utf8))) as? [String: Any] ?? [:]
        let image = object["image"] as? [String: Any] ?? [:]
        let matched = object["matched"] as? [String] ?? []
        let tags = (object["tags"] as? [[String: Any]] ?? []).map { tag in
            let count = tag["count"] as? Int ?? 1
            return "\(tag["tag"] as? String ?? "")\(count > 1 ? " ×\(count)" : "")"
        }
        return MailMessage(
            from: from, to: address, subject: "New image tagged \(matched.joined(separator: ", "))",
            body: """
                An image now carries a tag you follow (\(matched.joined(separator: ", "))).

                Image: \(image["url"] as? String ?? "")
                Thumbnail: \(image["thumbnailUrl"] as? String ?? "")
                Tags: \(tags.joined(separator: ", "))

                Subscription \(object["subscriptionId"] as? String ?? ""); delete it to stop these messages.
                """)
    }
}

/// Sends queued notifications as they fall due, and at once when new ones are queued. The queue is in the
/// database, so notifications waiting for a retry survive a restart, and replicas take different ones.
///
/// Up to `deliveryConcurrency` attempts run at once and a slot is refilled as soon as its attempt ends,
/// so a webhook that never answers holds one slot for its timeout instead of holding back a whole batch
/// (M13); one account's subscriptions take at most `deliveriesPerOwner` slots.
struct Notifier: Service {
    let service: TagService

    func run() async throws {
        let inFlight = InFlight()
        let slots = max(1, service.settings.deliveryConcurrency)
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                while !Task.isCancelled {
                    var wait = Duration.seconds(1)
                    do {
                        let busy = inFlight.withLock { $0 }
                        let due = try await service.dueDeliveries(limit: slots - busy.count)
                        for item in due {
                            inFlight.withLock { _ = $0.insert(item.id) }
                            group.addTask {
                                await service.attempt(item)
                                inFlight.withLock { _ = $0.remove(item.id) }
                                service.deliveriesQueued.signal()
                            }
                        }
                        wait = try await service.nextDueWait()
                        // Something is due but capped (slots or its account's share): an attempt that
                        // ends signals, so wait for that rather than spin.
                        if wait == .zero && due.isEmpty { wait = .seconds(1) }
                    } catch {
                        if Task.isCancelled { return }
                        service.logger.warning("Notifications wait", metadata: ["why": "\(error)"])
                    }
                    await service.deliveriesQueued.wait(upTo: wait)
                }
            }
        }
    }
}

/// The ids of the notifications being attempted.
private final class InFlight: Sendable {
    private let ids = Mutex(Set<Int64>())

    func withLock<T>(_ body: (inout Set<Int64>) -> T) -> T { ids.withLock { body(&$0) } }
}

/// A wake-up call for one waiting task; a signal with nobody waiting is kept for the next wait.
final class Signal: Sendable {
    private let state = Mutex<(pending: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

    func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.pending = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns on a signal, or after `limit` (whichever comes first).
    func wait(upTo limit: Duration) async {
        guard limit > .zero else { return }
        let timer = Task {
            guard (try? await Task.sleep(for: limit)) != nil else { return }
            self.signal()
        }
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Bool in
                if state.pending {
                    state.pending = false
                    return true
                }
                state.waiter = continuation
                return false
            }
            if ready { continuation.resume() }
        }
        timer.cancel()
    }
}

extension TagService {
    /// Removes notifications delivered or given up longer ago than the retention; returns how many went.
    /// Pending ones stay whatever their age.
    func pruneDeliveries() async throws -> Int {
        try await tags.pruneDeliveries(before: nowMillis() - settings.deliveryRetention)
    }
}
