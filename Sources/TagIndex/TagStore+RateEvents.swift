import GRDB

/// Sliding-window counts kept in the database, so that deleting and re-creating a subscription, or
/// restarting TagSvc, does not renew a budget (M6).
extension TagStore {
    /// Milliseconds until an event of `kind` for `key` may happen again, when `limit` of them happened
    /// within `window` before `now`; nil when one may happen now.
    public static func rateEventWait(
        _ db: Database, kind: String, key: String, now: Int64, window: Int64, limit: Int
    ) throws -> Int64? {
        let times = try Int64.fetchAll(
            db,
            sql: "SELECT at FROM rateEvent WHERE kind = ? AND key = ? AND at > ? ORDER BY at DESC LIMIT ?",
            arguments: [kind, key, now - window, max(limit, 1)])
        guard times.count >= limit, let oldest = times.last else { return nil }
        return max(1, oldest + window - now)
    }

    public static func recordRateEvent(_ db: Database, kind: String, key: String, now: Int64) throws {
        try db.execute(sql: "INSERT INTO rateEvent (kind, key, at) VALUES (?, ?, ?)", arguments: [kind, key, now])
    }

    /// Forgets events older than `before`; no window is longer than the caller's retention.
    public static func pruneRateEvents(_ db: Database, before: Int64) throws {
        try db.execute(sql: "DELETE FROM rateEvent WHERE at < ?", arguments: [before])
    }
}
