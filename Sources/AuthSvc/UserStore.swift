import AccessTokens
import Foundation
import GRDB

/// Everything AuthSvc keeps, behind one seam with a SQLite implementation (`SQLiteUserStore`, one file,
/// the embedded default) and a PostgreSQL one (`PostgresUserStore`, shared by every AuthSvc replica):
/// users, codes, sign-ins with their refresh tokens, signing keys and revocations. Each method is one
/// transaction, so what a flow decides from a read holds when it writes; the flows themselves
/// (`AuthService`) hold no state of their own beyond the throttles.
protocol UserStore: Sendable {
    /// The user whose username or email folds to `key`.
    func user(key: String) async throws -> UserRow?
    func user(sub: String) async throws -> UserRow?
    /// Adds `user`, unless its username or email is already someone's username or email.
    func insert(_ user: UserRow) async throws -> SignUpClash?
    func update(_ user: UserRow) async throws
    /// Replaces the user's row and revokes their sign-ins but `keeping` (a password set or reset).
    func update(_ user: UserRow, revokingSignInsBut keeping: String?, _ revocation: Revocation) async throws
    /// Revokes every sign-in of the user and deletes it with everything it owns.
    func delete(sub: String, _ revocation: Revocation) async throws

    /// Stores a code, replacing the user's earlier code of the same purpose.
    func save(_ code: CodeRow) async throws
    /// Checks a code against the stored one: a right code is used up, a wrong one counts against it.
    func consumeCode(sub: String, purpose: CodeRow.Purpose, hash: Data, maxAttempts: Int, now: Int64)
        async throws -> CodeCheck

    func startSignIn(_ signIn: SignInRow, token: RefreshTokenRow) async throws
    /// Uses up a refresh token for its successor (which takes the token's sign-in); a token used up
    /// before revokes its whole sign-in.
    func rotate(refreshToken presented: Data, successor: RefreshTokenRow, now: Int64, _ revocation: Revocation)
        async throws -> RefreshOutcome
    /// Revokes the sign-in the refresh token belongs to; false for an unknown token.
    func revokeSignIn(refreshToken presented: Data, _ revocation: Revocation) async throws -> Bool
    /// Revokes every live sign-in of the user but `keeping`.
    func revokeSignIns(sub: String, keeping: String?, _ revocation: Revocation) async throws

    /// The newest unretired key, which signs new tokens; when there is none (a new pool), one `fresh`
    /// makes, stored.
    func activeKey(orStore fresh: @Sendable () -> SigningKey, now: Int64) async throws -> SigningKey
    /// Retires every active key and makes `key` the active one.
    func rotate(to key: SigningKey, now: Int64) async throws
    /// Deletes a key; when it was the active one, `replacement` takes over.
    func revokeKey(_ kid: String, replacement: SigningKey, now: Int64) async throws -> KeyRemoval
    /// The active keys and those retired after `retiredAfter`: active first, then newest first.
    func verificationKeys(retiredAfter: Int64) async throws -> [SigningKeyRow]
    /// Revoked sign-ins after `sequence`, in order, and the latest sequence number; entries expired by
    /// `now` are dropped first. Sequence numbers become visible in order, so a reader that asks after
    /// the latest it saw misses none.
    func revocations(after sequence: Int64, now: Int64) async throws -> (originJtis: [String], latest: Int64)

    /// Removes refresh tokens used up before `usedBefore`, sign-ins and codes past their end: counts by kind.
    func prune(now: Int64, usedBefore: Int64) async throws -> [String: Int]
}

/// Why a sign-up was refused: its name or address is taken (by anyone's username or email).
enum SignUpClash: Sendable, Equatable { case username, email }

/// What checking a code found.
enum CodeCheck: Sendable, Equatable { case accepted, mismatch, tooManyAttempts, expired }

/// What presenting a refresh token did.
enum RefreshOutcome: Sendable {
    case refused(String)
    /// It had been used up before: its sign-in is now revoked.
    case reused
    case rotated(SignInRow)
}

/// What removing a signing key did.
enum KeyRemoval: Sendable, Equatable {
    case notFound
    /// A retired key went; the active one stays.
    case retired
    /// The active key went; the replacement signs from now on.
    case replacedActive
}

/// When sign-ins are revoked and until when their access tokens stay on the revocation list (their
/// longest remaining lifetime).
struct Revocation: Sendable {
    var at: Int64
    var listedUntil: Int64
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

    var key: SigningKey { SigningKey(kid: kid, secret: Array(secret)) }
}

struct RevocationRow: Codable, FetchableRecord, MutablePersistableRecord, Sendable {
    static let databaseTableName = "revocation"
    var sequence: Int64?
    var originJti: String
    var expiresAt: Int64

    mutating func didInsert(_ inserted: InsertionSuccess) { sequence = inserted.rowID }
}
