import GRDB

extension DatabasePool {
    /// A WAL database whose acknowledged commits survive a power loss, not only a crash: its writer runs
    /// with `synchronous = FULL`, so each commit waits for the write-ahead log to reach the disk (GRDB
    /// sets `NORMAL`, which syncs only at checkpoints and can lose the last commits; review M15). Every
    /// store of a service opens its database here; docs/performance.md has what it costs.
    public static func durable(path: String, configuration: Configuration = Configuration()) throws -> DatabasePool {
        let pool = try DatabasePool(path: path, configuration: configuration)
        // Outside a transaction: the setting belongs to the connection, and GRDB sets its own once the
        // pool opens, after `prepareDatabase` would have run.
        try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = FULL") }
        return pool
    }

    /// A store's database: durable (above), its foreign keys enforced, brought up to date by `migrator`.
    public static func migrated(path: String, _ migrator: DatabaseMigrator) throws -> DatabasePool {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        let pool = try durable(path: path, configuration: configuration)
        try migrator.migrate(pool)
        return pool
    }
}
