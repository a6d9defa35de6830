import Hummingbird
import Synchronization

/// Admission for the requests that buffer an image or keep a core busy (uploads, processing,
/// recognition, job submissions): at most `perUser` in flight for one user and `total` for everyone, so
/// one user cannot fill the gateway's memory or every backend slot (M3, M14). Over the limit answers
/// 429 (the user's own limit) or 503 (everyone's), both with Retry-After.
final class HeavyRequests: Sendable {
    let perUser: Int
    let total: Int
    private let state = Mutex<(total: Int, users: [String: Int])>((0, [:]))

    /// What a refusal says one account has too many of.
    let what: String

    init(perUser: Int, total: Int, what: String = "uploads, processing or recognition requests") {
        (self.perUser, self.total, self.what) = (max(1, perUser), max(1, total), what)
    }

    /// Runs `body` in one of `user`'s slots, or throws when none is free.
    func run<T>(_ user: String, _ body: () async throws -> T) async throws -> T {
        try enter(user)
        defer { leave(user) }
        return try await body()
    }

    func enter(_ user: String) throws {
        let refusal: APIError? = state.withLock { state in
            if state.users[user, default: 0] >= perUser {
                return APIError(
                    .tooManyRequests, "TooManyRequests",
                    "At most \(perUser) \(what) at once per account",
                    headers: [.retryAfter: "1"])
            }
            if state.total >= total {
                return APIError(
                    .serviceUnavailable, "ServiceUnavailable", "Clearsky is busy; try again shortly",
                    headers: [.retryAfter: "2"])
            }
            state.total += 1
            state.users[user, default: 0] += 1
            return nil
        }
        if let refusal { throw refusal }
    }

    func leave(_ user: String) {
        state.withLock { state in
            state.total -= 1
            let left = state.users[user, default: 1] - 1
            state.users[user] = left > 0 ? left : nil
        }
    }

    /// In flight now, for tests and metrics.
    var inFlight: Int { state.withLock { $0.total } }
}
