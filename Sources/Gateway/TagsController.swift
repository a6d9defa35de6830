import Contracts
import Foundation
import Hummingbird
import Wire

/// Tags, recognition, similar search and subscriptions: `/v1/tags*`, `PUT /v1/images/{id}/tags`,
/// `/v1/recognize`, `/v1/search/similar`, `/v1/subscriptions*`, each answered by TagSvc.
struct TagsController: Sendable {
    let backends: Backends
    let verifier: TokenVerifier
    /// Largest upload in bytes.
    let uploadLimit: Int
    /// Admission for uploads, processing and recognition.
    let heavy: HeavyRequests
    /// The configured public URL for links in mails and payloads (never the client's Host header).
    let publicBaseURL: String

    func register(on router: Router<GatewayContext>) {
        router.get("v1/tags") { request, _ -> ListJSON<TagCount> in
            let owner = try await verifier.authenticate(request).sub
            return ListJSON(items: try await tag(TagContract.listTags, OwnerRequest(owner: owner)).items)
        }
        router.put("v1/images/:id/tags") { request, context -> ImageJSON in
            let owner = try await verifier.authenticate(request).sub
            let body = try await request.decode(as: SetTagsBody.self, context: context)
            let id = try context.parameters.require("id")
            let tags = try await tag(
                TagContract.setTags, SetTagsRequest(owner: owner, imageId: id, tags: body.tags.map(\.term)))
            let image = try await backends.client(.store).call(
                StoreContract.getImage, ImageRequest(owner: owner, id: id))
            return ImageJSON(image, tags: tags, signer: backends.signer, caller: owner)
        }
        router.post("v1/tags/bulk") { request, context -> ListJSON<ImageJSON> in
            let owner = try await verifier.authenticate(request).sub
            let body = try await request.decode(as: BulkTagsBody.self, context: context)
            let edited = try await tag(
                TagContract.bulkEdit,
                BulkTagsRequest(
                    owner: owner, imageIds: body.imageIds, add: (body.add ?? []).map(\.term), remove: body.remove ?? [])
            )
            return try await backends.images(TaggedPage(items: edited.items, nextCursor: nil), caller: owner)
        }
        router.post("v1/recognize") { request, _ -> RecognitionJSON in
            let owner = try await verifier.authenticate(request).sub
            return try await heavy.run(owner) {
                let upload = try await Upload.read(request, limit: uploadLimit)
                return RecognitionJSON(
                    try await tag(TagContract.recognize, RecognizeRequest(bytes: try upload.file())))
            }
        }
        router.post("v1/search/similar") { request, _ -> SimilarJSON in
            let owner = try await verifier.authenticate(request).sub
            let page = try PageRequest(query: request)
            let result = try await heavy.run(owner) {
                let upload = try await Upload.read(request, limit: uploadLimit)
                return try await tag(
                    TagContract.similar, SimilarRequest(owner: owner, bytes: try upload.file(), page: page))
            }
            let images = try await backends.images(result.page, caller: owner)
            return SimilarJSON(tags: result.tags, items: images.items, nextCursor: images.nextCursor)
        }
        registerSubscriptions(on: router)
    }

    private func registerSubscriptions(on router: Router<GatewayContext>) {
        let subscriptions = router.group("v1/subscriptions")
        subscriptions.post { request, context -> EditedResponse<SubscriptionJSON> in
            let claims = try await verifier.authenticate(request)
            let body = try await request.decode(as: SubscribeBody.self, context: context)
            guard let channel = SubscriptionChannel(rawValue: body.channel ?? "email") else {
                throw APIError(.badRequest, "InvalidParameter", "channel must be email or webhook")
            }
            var account: UserInfo?
            if channel == .email {
                account = try await backends.client(.auth).call(AuthContract.getUser, UserRequest(sub: claims.sub))
            }
            let subscription = try await tag(
                TagContract.subscribe,
                SubscribeRequest(
                    owner: claims.sub, tags: body.tags, channel: channel, target: body.target,
                    accountEmail: account?.email, accountEmailVerified: account?.emailVerified ?? false,
                    publicBaseURL: publicBaseURL))
            return EditedResponse(
                status: .created, headers: [.location: "/v1/subscriptions/\(subscription.id)"],
                response: SubscriptionJSON(subscription))
        }
        subscriptions.get { request, _ -> ListJSON<SubscriptionJSON> in
            let owner = try await verifier.authenticate(request).sub
            let list = try await tag(TagContract.listSubscriptions, OwnerRequest(owner: owner))
            return ListJSON(items: list.items.map(SubscriptionJSON.init))
        }
        // The link mailed to an address someone subscribed: the token is the proof, no sign-in. GET only
        // shows a button; the POST it sends confirms (L5).
        subscriptions.get("confirm") { request, _ -> Response in
            ConfirmationPage.form(token: try ConfirmationPage.checkedToken(request.uri.queryParameters.get("token")))
        }
        subscriptions.post("confirm") { request, context -> Response in
            let type = request.headers[.contentType]?.lowercased() ?? ""
            if type.hasPrefix("application/x-www-form-urlencoded") {
                let body = try await request.body.collect(upTo: 4096)
                let fields = URLComponents(string: "?" + String(buffer: body))?.queryItems ?? []
                let token = try ConfirmationPage.checkedToken(fields.first { $0.name == "token" }?.value)
                let subscription = try await tag(
                    TagContract.confirmSubscription, ConfirmSubscriptionRequest(token: token))
                return ConfirmationPage.confirmed(subscription)
            }
            let body = try await request.decode(as: TokenBody.self, context: context)
            let token = try ConfirmationPage.checkedToken(body.token)
            let subscription = try await tag(TagContract.confirmSubscription, ConfirmSubscriptionRequest(token: token))
            return try SubscriptionJSON(subscription).response(from: request, context: context)
        }
        subscriptions.get(":id") { request, context -> SubscriptionJSON in
            let owner = try await verifier.authenticate(request).sub
            return SubscriptionJSON(
                try await tag(
                    TagContract.getSubscription,
                    SubscriptionRequest(owner: owner, id: try context.parameters.require("id"))))
        }
        subscriptions.delete(":id") { request, context -> Response in
            let owner = try await verifier.authenticate(request).sub
            _ = try await tag(
                TagContract.unsubscribe, SubscriptionRequest(owner: owner, id: try context.parameters.require("id")))
            return Response(status: .noContent)
        }
    }

    private func tag<Request, Reply>(_ method: Method<Request, Reply>, _ request: Request) async throws -> Reply {
        try await backends.client(.tag).call(method, request)
    }
}

extension TagTerm {
    /// `person:2,dog` → person ×2 and dog ×1 (at least).
    static func parseList(_ text: String) throws -> [TagTerm] {
        try text.split(separator: ",", omittingEmptySubsequences: false).map { part in
            let item = part.trimmingCharacters(in: .whitespaces)
            guard let colon = item.lastIndex(of: ":") else { return TagTerm(tag: item) }
            guard let count = Int(item[item.index(after: colon)...]) else {
                throw APIError(
                    .badRequest, "InvalidParameter", "tags is tag[:count],… with a whole count, got '\(item)'")
            }
            return TagTerm(tag: String(item[..<colon]), count: count)
        }
    }
}

/// `{tag, count}` in a request body; count defaults to 1.
struct TermBody: Decodable {
    var tag: String
    var count: Int?

    var term: TagTerm { TagTerm(tag: tag, count: count ?? 1) }
}

struct SetTagsBody: Decodable {
    var tags: [TermBody]
}

struct BulkTagsBody: Decodable {
    var imageIds: [String]
    var add: [TermBody]?
    var remove: [String]?
}

struct SubscribeBody: Decodable {
    var tags: [String]
    var channel: String?
    var target: String?
}

/// `POST /v1/recognize`'s answer, boxes in the image's pixels (web/openapi.yaml's Recognition).
struct RecognitionJSON: ResponseEncodable {
    struct Box: Codable, Sendable {
        var x: Double
        var y: Double
        var width: Double
        var height: Double
    }
    struct Found: Codable, Sendable {
        var label: String
        var confidence: Double
        var box: Box
    }

    var width: Int
    var height: Int
    var model: String
    var detections: [Found]

    init(_ recognition: Recognition) {
        (width, height, model) = (recognition.width, recognition.height, recognition.model)
        detections = recognition.detections.map {
            Found(
                label: $0.label, confidence: $0.confidence,
                box: Box(x: $0.x, y: $0.y, width: $0.width, height: $0.height))
        }
    }
}

struct SimilarJSON: ResponseEncodable {
    /// What was detected in the query image.
    var tags: [TagTerm]
    var items: [ImageJSON]
    var nextCursor: String?

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(tags, forKey: .tags)
        try container.encode(items, forKey: .items)
        try container.encode(nextCursor, forKey: .nextCursor)
    }

    enum CodingKeys: String, CodingKey { case tags, items, nextCursor }
}

extension TagCount: ResponseEncodable {}

/// A subscription as clients see it.
struct SubscriptionJSON: ResponseEncodable {
    var id: String
    var tags: [String]
    var channel: SubscriptionChannel
    var target: String
    var status: SubscriptionStatus
    var createdAt: String
    /// The webhook's signing key, shown once: in the answer to the POST that created it.
    var secret: String?
    var deliveries: Deliveries
    struct Deliveries: Codable, Sendable {
        var delivered: Int
        var pending: Int
        var dropped: Int
        var lastError: String?
    }

    init(_ subscription: Subscription) {
        (id, tags, channel, target, status) = (
            subscription.id, subscription.tags, subscription.channel, subscription.target, subscription.status
        )
        (createdAt, secret) = (Timestamp.text(subscription.createdAt), subscription.secret)
        deliveries = Deliveries(
            delivered: subscription.delivered, pending: subscription.pending, dropped: subscription.dropped,
            lastError: subscription.lastError)
    }
}

struct TokenBody: Decodable { var token: String }
