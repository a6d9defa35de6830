import GRDB

extension TagStore {
    /// Counts one more attempt at `sequence` for `consumer`, before it is handled; the count so far,
    /// this one included. The count goes once the event is handled or skipped (replicas of a consumer
    /// handle different partitions of the log, so an event's handling says nothing of another's).
    public static func countAttempt(_ db: Database, consumer: String, sequence: Int64) throws -> Int {
        try db.execute(
            sql: """
                INSERT INTO eventAttempt (consumer, sequence, attempts) VALUES (?, ?, 1)
                ON CONFLICT (consumer, sequence) DO UPDATE SET attempts = attempts + 1
                """, arguments: [consumer, sequence])
        return try Int.fetchOne(
            db, sql: "SELECT attempts FROM eventAttempt WHERE consumer = ? AND sequence = ?",
            arguments: [consumer, sequence]) ?? 1
    }

    /// Why the last attempt at `sequence` failed, kept for the error the image ends with.
    public static func recordFailure(_ db: Database, consumer: String, sequence: Int64, reason: String) throws {
        try db.execute(
            sql: "UPDATE eventAttempt SET lastError = ? WHERE consumer = ? AND sequence = ?",
            arguments: [reason, consumer, sequence])
    }

    public static func lastFailure(_ db: Database, consumer: String, sequence: Int64) throws -> String? {
        try String.fetchOne(
            db, sql: "SELECT lastError FROM eventAttempt WHERE consumer = ? AND sequence = ?",
            arguments: [consumer, sequence])
    }

    /// Takes back an attempt that failed for a reason outside the event (the store was down, shutdown).
    public static func uncountAttempt(_ db: Database, consumer: String, sequence: Int64) throws {
        try db.execute(
            sql: "UPDATE eventAttempt SET attempts = attempts - 1 WHERE consumer = ? AND sequence = ?",
            arguments: [consumer, sequence])
    }
}
