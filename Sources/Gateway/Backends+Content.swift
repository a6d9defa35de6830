import Contracts
import Hummingbird
import Wire

extension Backends {
    static let contentCacheControl = "private, no-cache"

    /// An image's bytes as a response: 304 when the client's ETag matches, 206 for a Range.
    func content(of image: ImageRecord, owner: String, request: Request) async throws -> Response {
        let etag = BinaryResponse.etag(image.sha256)
        if BinaryResponse.notModified(request, etag: etag) {
            return BinaryResponse.notModifiedResponse(etag: etag, cacheControl: Self.contentCacheControl)
        }
        let range = try BinaryResponse.range(request, size: image.size)
        let content = try await client(.store).call(
            StoreContract.content,
            ContentRequest(
                image: ImageRequest(owner: owner, id: image.id), offset: range?.lowerBound, length: range?.count))
        return BinaryResponse.make(
            content.bytes, contentType: image.contentType, etag: etag, cacheControl: Self.contentCacheControl,
            range: range.map { ($0.lowerBound, image.size) })
    }
}
