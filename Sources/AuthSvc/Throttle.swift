import Synchronization

/// Sliding-window attempt counters per key (a username, a client address). An attempt is refused once
/// `limit` attempts happened within the last `window` seconds; the answer says when to retry.
///
/// Memory and time stay bounded whatever keys a client invents (M8): attempts are also kept in arrival
/// order, so expired keys are dropped from the front a few at a time (O(1) amortised per attempt), and
/// past `maxKeys` live keys the oldest are dropped first.
final class Throttle: Sendable {
    let limit: Int
    let window: Int64
    let maxKeys: Int

    private struct State {
        var attempts: [String: [Int64]] = [:]
        /// (time, key) of every attempt recorded, oldest first, from `head` on.
        var order: [(time: Int64, key: String)] = []
        var head = 0
    }

    private let state = Mutex(State())

    init(limit: Int, window: Int, maxKeys: Int = 100_000) {
        self.limit = limit
        self.window = Int64(window)
        self.maxKeys = max(1, maxKeys)
    }

    /// Records an attempt at `now`, or returns the seconds to wait when the key is over its limit.
    func attempt(_ key: String, now: Int64) -> Int? {
        state.withLock { state in
            expire(&state, now: now)
            var times = state.attempts[key, default: []].filter { $0 > now - window }
            if times.count >= limit {
                state.attempts[key] = times
                return Int(max(1, times[0] + window - now))
            }
            times.append(now)
            state.attempts[key] = times
            state.order.append((now, key))
            while state.attempts.count > maxKeys, state.head < state.order.count {
                let oldest = state.order[state.head]
                state.head += 1
                state.attempts[oldest.key] = nil
            }
            return nil
        }
    }

    /// Forgets a key's attempts (after a success).
    func reset(_ key: String) {
        state.withLock { _ = $0.attempts.removeValue(forKey: key) }
    }

    /// Keys with attempts in memory now.
    var keyCount: Int { state.withLock { $0.attempts.count } }

    private func expire(_ state: inout State, now: Int64) {
        while state.head < state.order.count, state.order[state.head].time <= now - window {
            let (_, key) = state.order[state.head]
            state.head += 1
            if let last = state.attempts[key]?.last, last <= now - window { state.attempts[key] = nil }
        }
        // Compact once the consumed front is most of the buffer.
        if state.head > 1024, state.head * 2 > state.order.count {
            state.order.removeFirst(state.head)
            state.head = 0
        }
    }
}
