import Contracts
import Foundation
import Primitives
import Wire

/// Share links: a random id per image, kept with its expiry; the gateway signs links that name it.
extension StoreService {
    func createShare(_ request: CreateShareRequest) async throws -> Share {
        let image = try await ownedImage(request.image)
        let share = Share(
            imageId: image.id, shareId: Crypto.hex(Crypto.randomBytes(16)), expiresAt: request.expiresAt)
        try await store.saveShare(share)
        return share
    }

    func deleteShare(_ request: ImageRequest) async throws {
        let image = try await ownedImage(request)
        try await store.deleteShare(imageId: image.id)
    }

    func sharedImage(_ request: ShareRequest) async throws -> ImageRecord {
        let now = Int64(Date().timeIntervalSince1970)
        guard let row = try await store.sharedImage(imageId: request.imageId, shareId: request.shareId, now: now) else {
            throw WireError(.notFound, "This share link is no longer valid")
        }
        return row.record
    }
}
