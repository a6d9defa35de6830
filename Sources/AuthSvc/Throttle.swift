import Synchronization

/// Sliding-window attempt counters per key (a username, a client address). An attempt is refused once
/// `limit` attempts happened within the last `window` seconds; the answer says when to retry.
final class Throttle: Sendable {
    let limit: Int
    let window: Int64
    private let attempts = Mutex<[String: [Int64]]>([:])

    init(limit: Int, window: Int) {
        self.limit = limit
        self.window = Int64(window)
    }

    /// Records an attempt at `now`, or returns the seconds to wait when the key is over its limit.
    func attempt(_ key: String, now: Int64) -> Int? {
        attempts.withLock { table in
            var times = table[key, default: []].filter { $0 > now - window }
            if times.count >= limit {
                table[key] = times
                return Int(max(1, times[0] + window - now))
            }
            times.append(now)
            table[key] = times
            if table.count > 100_000 { table = table.filter { $0.value.last ?? 0 > now - window } }
            return nil
        }
    }

    /// Forgets a key's attempts (after a success).
    func reset(_ key: String) {
        attempts.withLock { _ = $0.removeValue(forKey: key) }
    }
}
