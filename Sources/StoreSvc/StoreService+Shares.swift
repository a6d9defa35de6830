import Contracts
import Foundation
import GRDB
import Primitives
import Wire

/// Share links: a random id per image, kept with its expiry; the gateway signs links that name it.
extension StoreService {
    func createShare(_ request: CreateShareRequest) async throws -> Share {
        let image = try await ownedImage(request.image)
        let share = Share(
            imageId: image.id, shareId: Crypto.hex(Crypto.randomBytes(16)), expiresAt: request.expiresAt)
        try await store.database.write { db in
            try db.execute(
                sql: """
                    INSERT INTO share (imageId, shareId, expiresAt) VALUES (?, ?, ?)
                    ON CONFLICT (imageId) DO UPDATE SET shareId = excluded.shareId, expiresAt = excluded.expiresAt
                    """, arguments: [share.imageId, share.shareId, share.expiresAt])
        }
        return share
    }

    func deleteShare(_ request: ImageRequest) async throws {
        let image = try await ownedImage(request)
        try await store.database.write { db in
            try db.execute(sql: "DELETE FROM share WHERE imageId = ?", arguments: [image.id])
        }
    }

    func sharedImage(_ request: ShareRequest) async throws -> ImageRecord {
        let now = Int64(Date().timeIntervalSince1970)
        let row = try await store.database.read { db in
            try ImageRow.fetchOne(
                db,
                sql: """
                    SELECT image.* FROM share JOIN image ON image.id = share.imageId
                    WHERE share.imageId = ? AND share.shareId = ? AND share.expiresAt > ?
                    """, arguments: [request.imageId, request.shareId, now])
        }
        guard let row else { throw WireError(.notFound, "This share link is no longer valid") }
        return row.record
    }
}
