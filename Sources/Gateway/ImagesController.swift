import Contracts
import Foundation
import Hummingbird
import Wire

/// `/v1/images*` and `/v1/gallery`: uploads, listing, lookups, content and thumbnails, deletion.
struct ImagesController: Sendable {
    let backends: Backends
    let verifier: TokenVerifier
    /// Largest upload in bytes.
    let uploadLimit: Int
    /// Admission for uploads, processing and recognition.
    let heavy: HeavyRequests
    /// The configured public URL, for share links.
    let publicBaseURL: String
    let thumbnails = ThumbnailCache()

    /// Share links live 60 s … 1 year; 7 days unless asked.
    static let shareLifetimes: ClosedRange<Int> = 60...31_536_000
    static let defaultShareLifetime = 7 * 86_400

    static let thumbnailCacheControl = "private, max-age=86400"

    func register(on router: Router<GatewayContext>) {
        let images = router.group("v1/images")
        images.post { request, _ -> EditedResponse<ImageJSON> in
            let owner = try await verifier.authenticate(request).sub
            let image = try await heavy.run(owner) {
                let upload = try await Upload.read(request, limit: uploadLimit)
                return try await store(
                    StoreContract.putImage,
                    PutImageRequest(
                        owner: owner, key: upload.key,
                        overwrite: upload.flag("overwrite"), filename: upload.filename ?? "",
                        visibility: try upload.visibility(), bytes: try upload.file()))
            }
            thumbnails.forget(image.id)  // an overwrite keeps the id and makes a new thumbnail
            return EditedResponse(
                status: .created, headers: [.location: "/v1/images/\(image.id)"],
                response: ImageJSON(image, signer: backends.signer, caller: owner))
        }
        images.get { request, _ -> ListJSON<ImageJSON> in
            let owner = try await verifier.authenticate(request).sub
            if let tags = request.uri.queryParameters.get("tags") {
                let page = try await backends.client(.tag).call(
                    TagContract.query,
                    TagQueryRequest(owner: owner, terms: try TagTerm.parseList(tags), page: PageRequest(query: request))
                )
                return try await backends.images(page, caller: owner)
            }
            let page = try await store(
                StoreContract.listImages, ListImagesRequest(owner: owner, page: PageRequest(query: request)))
            return ListJSON(items: await backends.tagged(page.items, caller: owner), nextCursor: page.nextCursor)
        }
        images.get("by-thumbnail") { request, _ -> ImageJSON in
            let owner = try await verifier.authenticate(request).sub
            guard let url = request.uri.queryParameters.get("url") else {
                throw APIError(.badRequest, "InvalidParameter", "Give the thumbnail's url")
            }
            let image = try await store(StoreContract.imageByThumbnail, ThumbnailURLRequest(owner: owner, url: url))
            return await backends.tagged(image, caller: owner)
        }
        images.get("by-key/**") { request, context -> Response in
            let owner = try await verifier.authenticate(request).sub
            // Decoded once, here: the router hands over the path as it was sent (L8).
            var segments = context.parameters.getCatchAll().map { $0.removingPercentEncoding ?? String($0) }
            let wantsContent = segments.count > 1 && segments.last == "content"
            if wantsContent { segments.removeLast() }
            let image = try await store(
                StoreContract.imageByKey, KeyRequest(owner: owner, key: segments.joined(separator: "/")))
            if wantsContent { return try await backends.content(of: image, owner: owner, request: request) }
            return try await backends.tagged(image, caller: owner).response(from: request, context: context)
        }
        images.get(":id") { request, context -> ImageJSON in
            let owner = try await verifier.authenticate(request).sub
            let image = try await store(StoreContract.getImage, ImageRequest(owner: owner, id: try id(context)))
            return await backends.tagged(image, caller: owner)
        }
        images.get(":id/content") { request, context -> Response in
            let owner = try await reader(request)
            let image = try await store(StoreContract.getImage, ImageRequest(owner: owner, id: try id(context)))
            return try await backends.content(of: image, owner: owner, request: request)
        }
        images.get(":id/thumbnail") { request, context -> Response in
            let owner = try await reader(request)
            return try await thumbnail(ImageRequest(owner: owner, id: try id(context)), request: request)
        }
        // Share links: anyone with the link reads the image until it expires or is revoked.
        images.post(":id/share") { request, context -> ShareJSON in
            let owner = try await verifier.authenticate(request).sub
            let body = try await request.decode(as: ShareBody.self, context: context)
            let lifetime = body.expiresIn ?? Self.defaultShareLifetime
            guard Self.shareLifetimes.contains(lifetime) else {
                throw APIError(
                    .badRequest, "InvalidParameter",
                    "expiresIn is \(Self.shareLifetimes.lowerBound)…\(Self.shareLifetimes.upperBound) seconds")
            }
            let now = Int64(Date().timeIntervalSince1970)
            let share = try await store(
                StoreContract.createShare,
                CreateShareRequest(
                    image: ImageRequest(owner: owner, id: try id(context)), expiresAt: now + Int64(lifetime)))
            let base = String(publicBaseURL.reversed().drop(while: { $0 == "/" }).reversed())
            func link(_ what: String) -> String {
                base
                    + backends.signer.sign(
                        "/v1/shared/\(share.imageId)/\(what)", for: share.shareId, expires: share.expiresAt)
            }
            return ShareJSON(
                url: link("content"), thumbnailUrl: link("thumbnail"), expiresAt: Timestamp.text(share.expiresAt * 1000)
            )
        }
        images.delete(":id/share") { request, context -> Response in
            let owner = try await verifier.authenticate(request).sub
            _ = try await store(StoreContract.deleteShare, ImageRequest(owner: owner, id: try id(context)))
            return Response(status: .noContent)
        }
        router.get("v1/shared/:id/content") { request, context -> Response in
            let image = try await sharedImage(request, context)
            return try await backends.content(of: image, owner: image.owner, request: request)
        }
        router.get("v1/shared/:id/thumbnail") { request, context -> Response in
            let image = try await sharedImage(request, context)
            return try await thumbnail(ImageRequest(owner: image.owner, id: image.id), request: request)
        }
        images.delete(":id") { request, context -> Response in
            let owner = try await verifier.authenticate(request).sub
            let image = try id(context)
            _ = try await store(StoreContract.deleteImage, ImageRequest(owner: owner, id: image))
            thumbnails.forget(image)
            return Response(status: .noContent)
        }
        router.get("v1/gallery") { request, _ -> ListJSON<ImageJSON> in
            let caller = try await verifier.authenticate(request).sub
            let page = try await store(StoreContract.gallery, PageRequest(query: request))
            return ListJSON(items: await backends.tagged(page.items, caller: caller), nextCursor: page.nextCursor)
        }
    }

    /// The image a share link names, once its signature and the share itself check out.
    private func sharedImage(_ request: Request, _ context: GatewayContext) async throws -> ImageRecord {
        var query: [String: String] = [:]
        for (name, value) in request.uri.queryParameters { query[String(name)] = String(value) }
        guard
            let shareId = try backends.signer.subject(
                path: request.uri.path, query: query, now: Int64(Date().timeIntervalSince1970))
        else { throw APIError(.unauthorized, "NotAuthorized", "Invalid link") }
        return try await store(StoreContract.sharedImage, ShareRequest(imageId: try id(context), shareId: shareId))
    }

    /// The image's thumbnail, as `wanted.owner` may see it: the cached, the stored or one made now.
    private func thumbnail(_ wanted: ImageRequest, request: Request) async throws -> Response {
        let thumbnail: DerivativeContent
        if let cached = thumbnails.lookup(wanted.id, caller: wanted.owner) {
            thumbnail = cached
        } else {
            do {
                thumbnail = try await store(
                    StoreContract.derivative, DerivativeRequest(image: wanted, kind: .thumbnail))
                thumbnails.store(wanted.id, thumbnail)
            } catch let error as WireError where error.code == .notFound {
                // Not made yet (the event is still queued): ProcessSvc makes it now, once.
                thumbnail = try await backends.client(.process).call(ProcessContract.thumbnail, wanted)
            }
        }
        let etag = BinaryResponse.etag(thumbnail.info.sha256)
        if BinaryResponse.notModified(request, etag: etag) {
            return BinaryResponse.notModifiedResponse(etag: etag, cacheControl: Self.thumbnailCacheControl)
        }
        return BinaryResponse.make(
            thumbnail.bytes, contentType: thumbnail.info.contentType, etag: etag,
            cacheControl: Self.thumbnailCacheControl)
    }

    /// Who reads an image's bytes: the bearer token's user, or the user a signed URL was issued to.
    private func reader(_ request: Request) async throws -> String {
        if request.headers[.authorization] != nil { return try await verifier.authenticate(request).sub }
        var query: [String: String] = [:]
        for (name, value) in request.uri.queryParameters { query[String(name)] = String(value) }
        guard
            let subject = try backends.signer.subject(
                path: request.uri.path, query: query, now: Int64(Date().timeIntervalSince1970))
        else { return try await verifier.authenticate(request).sub }
        return subject
    }

    private func id(_ context: GatewayContext) throws -> String {
        try context.parameters.require("id")
    }

    private func store<Request, Reply>(_ method: Method<Request, Reply>, _ request: Request) async throws -> Reply {
        try await backends.client(.store).call(method, request)
    }
}

struct ShareBody: Decodable { var expiresIn: Int? }

struct ShareJSON: ResponseEncodable {
    var url: String
    var thumbnailUrl: String
    var expiresAt: String
}
