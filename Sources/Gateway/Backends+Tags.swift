import Contracts
import Hummingbird
import Wire

extension Backends {
    /// Images as clients see them, with their tags from TagSvc. While TagSvc cannot answer, the images are
    /// still served, marked pending (their tags are not lost, only not shown yet).
    func tagged(_ images: [ImageRecord], caller: String) async -> [ImageJSON] {
        guard !images.isEmpty else { return [] }
        let answer = try? await client(.tag).call(
            TagContract.tagsOf, TagsOfRequest(caller: caller, imageIds: images.map(\.id)))
        var tags: [String: ImageTags] = [:]
        for item in answer?.items ?? [] { tags[item.imageId] = item }
        return images.map { ImageJSON($0, tags: tags[$0.id], signer: signer, caller: caller) }
    }

    /// One image as clients see it, with its tags.
    func tagged(_ image: ImageRecord, caller: String) async -> ImageJSON {
        await tagged([image], caller: caller)[0]
    }

    /// A page of TagSvc's answer as Images: the records from StoreSvc, the tags TagSvc sent with them.
    func images(_ page: TaggedPage, caller: String) async throws -> ListJSON<ImageJSON> {
        let records = try await client(.store).call(
            StoreContract.images, ImagesRequest(caller: caller, ids: page.items.map(\.imageId)))
        var byId: [String: ImageRecord] = [:]
        for record in records.items { byId[record.id] = record }
        // An image deleted since TagSvc last heard of it is left out.
        let items = page.items.compactMap { tags in
            byId[tags.imageId].map { ImageJSON($0, tags: tags, signer: signer, caller: caller) }
        }
        return ListJSON(items: items, nextCursor: page.nextCursor)
    }
}
