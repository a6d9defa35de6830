import Foundation
import GRDB
import SQLiteSupport

/// AuthSvc's SQLite database: users, codes, sign-ins and their refresh tokens, signing keys and
/// revocations. One file in the service's state folder, WAL mode, migrated on open.
struct UserStore: Sendable {
    let database: DatabasePool

    init(path: String) throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        database = try DatabasePool.durable(path: path, configuration: configuration)
        try Self.migrator.migrate(database)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "user") { table in
                table.primaryKey("sub", .text)
                table.column("username", .text).notNull()
                table.column("usernameKey", .text).notNull().unique()
                table.column("email", .text).notNull()
                table.column("emailKey", .text).notNull().unique()
                table.column("emailVerified", .boolean).notNull()
                table.column("confirmed", .boolean).notNull()
                table.column("passwordHash", .text).notNull()
                table.column("storageFolder", .text).notNull().unique()
                table.column("createdAt", .integer).notNull()
                table.column("updatedAt", .integer).notNull()
            }
            try db.create(table: "code") { table in
                table.column("sub", .text).notNull().references("user", onDelete: .cascade)
                table.column("purpose", .text).notNull()
                table.column("codeHash", .blob).notNull()
                table.column("expiresAt", .integer).notNull()
                table.column("failedAttempts", .integer).notNull()
                table.primaryKey(["sub", "purpose"])
            }
            try db.create(table: "signIn") { table in
                table.primaryKey("originJti", .text)
                table.column("sub", .text).notNull().indexed().references("user", onDelete: .cascade)
                table.column("authTime", .integer).notNull()
                table.column("expiresAt", .integer).notNull()
                table.column("revokedAt", .integer)
            }
            try db.create(table: "refreshToken") { table in
                table.primaryKey("tokenHash", .blob)
                table.column("originJti", .text).notNull().indexed().references("signIn", onDelete: .cascade)
                table.column("issuedAt", .integer).notNull()
                table.column("rotatedAt", .integer)
            }
            try db.create(table: "signingKey") { table in
                table.primaryKey("kid", .text)
                table.column("secret", .blob).notNull()
                table.column("createdAt", .integer).notNull()
                table.column("retiredAt", .integer)
            }
            try db.create(table: "revocation") { table in
                table.autoIncrementedPrimaryKey("sequence")
                table.column("originJti", .text).notNull()
                table.column("expiresAt", .integer).notNull().indexed()
            }
        }
        return migrator
    }
}

struct UserRow: Codable, FetchableRecord, PersistableRecord, Sendable {
    static let databaseTableName = "user"
    var sub: String
    var username: String
    var usernameKey: String
    var email: String
    var emailKey: String
    var emailVerified: Bool
    var confirmed: Bool
    var passwordHash: String
    var storageFolder: String
    var createdAt: Int64
    var updatedAt: Int64
}

struct CodeRow: Codable, FetchableRecord, PersistableRecord, Sendable {
    static let databaseTableName = "code"
    enum Purpose: String, Codable, Sendable { case signUp = "signup", reset }
    var sub: String
    var purpose: Purpose
    var codeHash: Data
    var expiresAt: Int64
    var failedAttempts: Int
}

struct SignInRow: Codable, FetchableRecord, PersistableRecord, Sendable {
    static let databaseTableName = "signIn"
    var originJti: String
    var sub: String
    var authTime: Int64
    var expiresAt: Int64
    var revokedAt: Int64?
}

struct RefreshTokenRow: Codable, FetchableRecord, PersistableRecord, Sendable {
    static let databaseTableName = "refreshToken"
    var tokenHash: Data
    var originJti: String
    var issuedAt: Int64
    var rotatedAt: Int64?
}

struct SigningKeyRow: Codable, FetchableRecord, PersistableRecord, Sendable {
    static let databaseTableName = "signingKey"
    var kid: String
    var secret: Data
    var createdAt: Int64
    var retiredAt: Int64?
}

struct RevocationRow: Codable, FetchableRecord, MutablePersistableRecord, Sendable {
    static let databaseTableName = "revocation"
    var sequence: Int64?
    var originJti: String
    var expiresAt: Int64

    mutating func didInsert(_ inserted: InsertionSuccess) { sequence = inserted.rowID }
}
