import Contracts
import Foundation
import GRDB
import Logging
import Mail
import ServiceLifecycle
import Synchronization
import TagIndex
import Wire

/// Where one queued notification stands.
enum DeliveryStatus: String, Sendable {
    /// Waiting for its next attempt (`nextAttemptAt`).
    case pending
    case delivered
    /// Given up after the retry budget; `lastError` says why.
    case dropped
}

extension TagService {
    /// Queues one notification per active subscription that `gained` concerns: the subscriber's own image,
    /// or a public one. Runs in the transaction that changed the tags, so that a change is never without
    /// its notifications; `reason` names the change, so that doing it again queues nothing twice.
    func queueNotifications(_ db: Database, image: TaggedImageRow, gained: [String], reason: String) throws {
        guard !gained.isEmpty else { return }
        let marks = Array(repeating: "?", count: gained.count).joined(separator: ",")
        var arguments = StatementArguments(gained)
        arguments += [image.owner, image.visibility]
        let subscriptions = try Row.fetchAll(
            db,
            sql: """
                SELECT s.id, s.baseURL, GROUP_CONCAT(t.tag, '\u{1F}') AS matched
                FROM subscriptionTag t JOIN subscription s ON s.id = t.subscriptionId
                WHERE t.tag IN (\(marks)) AND s.status = 'active' AND (s.owner = ? OR ? = 'public')
                GROUP BY s.id
                """, arguments: arguments)
        guard !subscriptions.isEmpty else { return }
        let tags = try TagStore.tags(db, of: [image.id])[image.id]?.1 ?? []
        let time = nowMillis()
        for subscription in subscriptions {
            let (id, baseURL): (String, String) = (subscription["id"], subscription["baseURL"])
            let matched = (subscription["matched"] as String).split(separator: "\u{1F}").map(String.init).sorted()
            let payload = Self.json([
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
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO delivery
                        (subscriptionId, imageId, dedupe, payload, status, attempts, nextAttemptAt, createdAt)
                    VALUES (?, ?, ?, ?, 'pending', 0, ?, ?)
                    """, arguments: [id, image.id, "\(id)|\(image.id)|\(reason)", payload, time, time])
        }
    }

    /// Notifications due now, oldest first, at most `perOwner` per subscriber's account counting the
    /// ones in `inFlight` (which are still pending), and none of `inFlight` itself.
    func dueDeliveries(limit: Int, inFlight: Set<Int64>) async throws -> [Due] {
        guard limit > 0 else { return [] }
        let (time, perOwner) = (nowMillis(), max(1, settings.deliveriesPerOwner))
        let rows = try await tags.database.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT id, payload, attempts, channel, target, secret FROM (
                        SELECT d.id, d.payload, d.attempts, d.nextAttemptAt, s.channel, s.target, s.secret,
                            ROW_NUMBER() OVER (PARTITION BY s.owner ORDER BY d.nextAttemptAt, d.id) AS rank
                        FROM delivery d JOIN subscription s ON s.id = d.subscriptionId
                        WHERE d.status = 'pending' AND d.nextAttemptAt <= ?
                    ) WHERE rank <= ? ORDER BY nextAttemptAt, id LIMIT ?
                    """, arguments: [time, perOwner, limit + inFlight.count])
        }
        return rows.compactMap { row -> Due? in
            let id: Int64 = row["id"]
            guard !inFlight.contains(id) else { return nil }
            return Due(
                id: id, payload: row["payload"], attempts: row["attempts"],
                channel: SubscriptionChannel(rawValue: row["channel"]) ?? .email, target: row["target"],
                secret: row["secret"])
        }.prefix(limit).map { $0 }
    }

    /// How long until a pending notification not in flight falls due (at most a second; zero if one is
    /// due now).
    func nextDueWait(inFlight: Set<Int64>) async throws -> Duration {
        let first = try await tags.database.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT id, nextAttemptAt FROM delivery WHERE status = 'pending' ORDER BY nextAttemptAt LIMIT ?",
                arguments: [inFlight.count + 1]
            ).first { !inFlight.contains($0["id"]) }.map { $0["nextAttemptAt"] as Int64 }
        }
        guard let first else { return .seconds(1) }
        return .milliseconds(min(1000, max(0, first - nowMillis())))
    }

    /// One round, for tests: sends what is due now and waits for every attempt.
    func deliverDue() async throws -> Duration {
        let due = try await dueDeliveries(limit: settings.deliveryConcurrency, inFlight: [])
        await withTaskGroup(of: Void.self) { group in
            for item in due { group.addTask { await self.attempt(item) } }
        }
        return try await nextDueWait(inFlight: [])
    }

    struct Due: Sendable {
        var id: Int64
        var payload: String
        var attempts: Int
        var channel: SubscriptionChannel
        var target: String
        var secret: String
    }

    /// One attempt at one notification, and its outcome recorded: delivered, retried later with
    /// exponential backoff and jitter, or dropped once the budget is spent.
    func attempt(_ item: Due) async {
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
            let failure = failure
            try await tags.database.write { db in
                if let failure {
                    if attempts >= self.settings.deliveryAttempts {
                        try db.execute(
                            sql: """
                                UPDATE delivery SET status = 'dropped', attempts = ?, finishedAt = ?, lastError = ?
                                WHERE id = ?
                                """,
                            arguments: [attempts, time, "Gave up after \(attempts) attempts: \(failure)", item.id])
                    } else {
                        try db.execute(
                            sql: "UPDATE delivery SET attempts = ?, nextAttemptAt = ?, lastError = ? WHERE id = ?",
                            arguments: [
                                attempts, time + self.settings.backoff(afterAttempt: attempts), failure, item.id,
                            ])
                    }
                } else {
                    try db.execute(
                        sql: "UPDATE delivery SET status = 'delivered', attempts = ?, finishedAt = ? WHERE id = ?",
                        arguments: [attempts, time, item.id])
                }
            }
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

/// Sends queued notifications as they fall due, and at once when new ones are queued. The queue is
/// SQLite, so notifications waiting for a retry survive a restart.
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
                        let due = try await service.dueDeliveries(limit: slots - busy.count, inFlight: busy)
                        for item in due {
                            inFlight.withLock { _ = $0.insert(item.id) }
                            group.addTask {
                                await service.attempt(item)
                                inFlight.withLock { _ = $0.remove(item.id) }
                                service.deliveriesQueued.signal()
                            }
                        }
                        let now = inFlight.withLock { $0 }
                        wait = try await service.nextDueWait(inFlight: now)
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
        let cutoff = nowMillis() - settings.deliveryRetention
        return try await tags.database.write { db in
            try db.execute(
                sql: "DELETE FROM delivery WHERE status IN ('delivered', 'dropped') AND finishedAt < ?",
                arguments: [cutoff])
            return db.changesCount
        }
    }
}
