import Synchronization

/// Counts requests in flight and makes the connection's reader wait when the bound is reached.
final class InFlightLimiter: Sendable {
    private struct State {
        var active = 0
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let limit: Int
    private let state = Mutex(State())

    init(limit: Int) {
        self.limit = limit
    }

    var active: Int { state.withLock { $0.active } }

    /// Takes a slot, waiting while all are taken. Only the connection's one reader waits here.
    func acquire() async {
        let acquired = state.withLock { state -> Bool in
            guard state.active < limit else { return false }
            state.active += 1
            return true
        }
        if acquired { return }
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { state -> Bool in
                guard state.active >= limit else {
                    state.active += 1
                    return true
                }
                state.waiter = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    /// Takes a slot if one is free and nobody is waiting for one.
    func tryAcquire() -> Bool {
        state.withLock { state in
            guard state.active < limit, state.waiter == nil else { return false }
            state.active += 1
            return true
        }
    }

    func release() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.active -= 1
                return nil
            }
            state.waiter = nil
            return waiter  // the slot passes straight to the waiting reader
        }
        waiter?.resume()
    }
}
