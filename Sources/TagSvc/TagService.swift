import Contracts
import Detection
import Foundation
import ImageIntake
import Imaging
import Logging
import Mail
import ServiceRuntime
import TagIndex
import Wire

/// Detection, the tag index and its queries, and a person's edits. The images and their bytes live in
/// StoreSvc; TagSvc keeps what it learns about them (owner, visibility, time) beside their tags.
final class TagService: Sendable {
    let storeClient: @Sendable () throws -> WireClient
    let detector: Detector
    let tags: any TagDatabase
    let settings: TagSettings
    let mail: any MailDelivery
    let logger: Logger
    let nowMillis: @Sendable () -> Int64
    /// One detection at a time (see `DetectionGate`).
    let detectionGate = DetectionGate()
    /// Woken when a notification is queued, so that it goes out at once.
    let deliveriesQueued = Signal()

    init(
        store: @escaping @Sendable () throws -> WireClient, detector: Detector, tags: any TagDatabase,
        settings: TagSettings,
        mail: any MailDelivery, logger: Logger,
        nowMillis: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }
    ) {
        (storeClient, self.detector, self.tags, self.settings) = (store, detector, tags, settings)
        (self.mail, self.logger, self.nowMillis) = (mail, logger, nowMillis)
    }

    func store<Request, Response>(_ method: Method<Request, Response>, _ request: Request) async throws -> Response {
        try await storeClient().call(method, request)
    }

    // MARK: Detection

    /// Objects in encoded JPEG or PNG bytes, off the cooperative pool.
    func detect(_ bytes: [UInt8]) async throws(WireError) -> (width: Int, height: Int, found: [Detection]) {
        let (detector, pixelLimit) = (detector, settings.pixelLimit)
        let result = await detectionGate.run {
            await Offload.run {
                Result { try detector.detection(in: bytes, pixelLimit: pixelLimit) }
            }
        }
        do { return try result.get() } catch let error as ImagingError { throw WireError(error) } catch {
            throw WireError(.internal, "Detection failed: \(error)")
        }
    }

    /// `POST /v1/recognize`: what the detector sees, nothing stored.
    func recognize(_ request: RecognizeRequest) async throws -> Recognition {
        let (width, height, found) = try await detect(request.bytes)
        return Recognition(
            width: width, height: height, model: settings.modelName,
            detections: found.map {
                DetectedObject(
                    label: $0.label, confidence: $0.confidence, x: $0.box.x, y: $0.box.y, width: $0.box.width,
                    height: $0.box.height)
            })
    }

    /// `POST /v1/search/similar`: the owner's images carrying every tag detected in the query image.
    func similar(_ request: SimilarRequest) async throws -> SimilarResult {
        let detected = Detector.tags(try await detect(request.bytes).found).map {
            TagTerm(tag: $0.tag, count: $0.count)
        }
        guard !detected.isEmpty else { return SimilarResult(tags: [], page: TaggedPage(items: [], nextCursor: nil)) }
        let page = try await query(
            TagQueryRequest(
                owner: request.owner, terms: detected.prefix(10).map { TagTerm(tag: $0.tag) }, page: request.page))
        return SimilarResult(tags: detected, page: page)
    }

    /// Detects and stores the automatic tags of a new or replaced image, then queues the notifications
    /// for the tags it gained. `sequence` (the event's) makes a redelivered event harmless.
    func tagImage(owner: String, id: String, sequence: Int64) async throws {
        let content: ImageContent
        do {
            content = try await store(StoreContract.content, ContentRequest(image: ImageRequest(owner: owner, id: id)))
        } catch let error as WireError where error.code == .notFound {
            return  // deleted since
        }
        let image = content.image
        // Detection takes a while: the visibility the store has now counts from now on (L12).
        try await tags.setVisibility(imageId: image.id, visibility: image.visibility)
        let outcome: Result<[DetectedTag], WireError>
        do { outcome = .success(Detector.tags(try await detect(content.bytes).found)) } catch {
            outcome = .failure(error)
        }
        let gained = try await tags.recordTagging(
            image, outcome: outcome, notifications: notifications(reason: "event-\(sequence)"))
        if !gained.isEmpty { deliveriesQueued.signal() }
        // The owner's pages (gallery, image) learn through their event stream that tagging finished.
        do {
            _ = try await store(StoreContract.recordTagsChanged, ImagesRequest(caller: image.owner, ids: [image.id]))
        } catch {
            logger.info("image.tagsChanged not recorded", metadata: ["image": "\(image.id)", "why": "\(error)"])
        }
        switch outcome {
        case .success(let detected):
            logger.info(
                "Image tagged",
                metadata: [
                    "image": "\(image.id)",
                    "tags": "\(detected.map { "\($0.tag):\($0.count)" }.joined(separator: ","))",
                ])
        case .failure(let error):
            logger.warning("Image not tagged", metadata: ["image": "\(image.id)", "why": "\(error)"])
        }
    }

    /// Records that an image could not be tagged (its event was skipped as poison), so that its
    /// `tagging` says `error` with `reason` instead of staying pending.
    func markTaggingFailed(_ event: StoreEvent, reason: String) async throws {
        try await tags.markTaggingFailed(event, reason: reason)
    }

    /// Forgets an image StoreSvc deleted.
    func forget(imageId: String) async throws {
        try await tags.forget(imageId: imageId)
    }

    // MARK: Reading

    /// The tags of the images among `ids` the caller may see; images TagSvc has not heard of are pending.
    func tagsOf(_ request: TagsOfRequest) async throws -> ImageTagsList {
        guard request.imageIds.count <= 500 else { throw WireError(.invalidArgument, "At most 500 ids at once") }
        let found = try await tags.tags(of: request.imageIds)
        return ImageTagsList(
            items: request.imageIds.compactMap { id in
                guard let (image, tags) = found[id] else {
                    return ImageTags(imageId: id, tags: [], tagging: .pending)
                }
                return image.access.lets(request.caller, read: image.owner) ? ImageTags(image, tags) : nil
            })
    }

    /// The owner's images carrying every term, newest first.
    func query(_ request: TagQueryRequest) async throws -> TaggedPage {
        guard (1...settings.maxPageSize).contains(request.page.limit) else {
            throw WireError(.invalidArgument, "limit must be 1…\(settings.maxPageSize)")
        }
        let terms = try TagName.terms(request.terms)
        let after = try QueryCursor(request.page.cursor)
        return try await tags.query(owner: request.owner, terms: terms, after: after, limit: request.page.limit)
    }

    /// The owner's tags, most used first.
    func listTags(owner: String) async throws -> TagCounts {
        try await tags.tagCounts(owner: owner)
    }

    // MARK: A person's edits

    /// `PUT /v1/images/{id}/tags`: the image shows exactly `tags` from now on.
    func setTags(_ request: SetTagsRequest) async throws -> ImageTags {
        let terms = try TagName.terms(request.tags, editing: true)
        let result = try await edit(owner: request.owner, ids: [request.imageId], .set(terms))
        return result.items[0]
    }

    /// `POST /v1/tags/bulk`: adds and removes on every image, all or nothing.
    func bulkEdit(_ request: BulkTagsRequest) async throws -> ImageTagsList {
        let add = try TagName.terms(request.add, editing: true)
        let remove = try request.remove.map { tag throws(WireError) in try TagName.normalized(tag) }
        guard !add.isEmpty || !remove.isEmpty else { throw WireError(.invalidArgument, "Nothing to add or remove") }
        guard Set(add.map(\.tag)).isDisjoint(with: remove) else {
            throw WireError(.invalidArgument, "A tag cannot be both added and removed")
        }
        guard (1...500).contains(request.imageIds.count), Set(request.imageIds).count == request.imageIds.count else {
            throw WireError(.invalidArgument, "imageIds must be 1…500 distinct ids")
        }
        return try await edit(owner: request.owner, ids: request.imageIds, .bulk(add: add, remove: remove))
    }

    /// Applies `change` to each of the owner's images in one transaction, refreshes their visible tags,
    /// queues notifications for what they gained, and records `image.tagsChanged` in StoreSvc's log.
    /// An id that is not the owner's fails the whole edit.
    private func edit(owner: String, ids: [String], _ change: TagEdit) async throws -> ImageTagsList {
        // StoreSvc vouches for every image: ones whose created event TagSvc has not handled yet are
        // learned, and each one's visibility is taken as it is now, not as the last event left it, so
        // an edit right after public → private notifies no one else (L12).
        let current = try await store(StoreContract.images, ImagesRequest(caller: owner, ids: ids)).items
            .filter { $0.owner == owner }
        let reason = "edit-\(UUID().uuidString.lowercased())"
        let (items, anyGained) = try await tags.edit(
            owner: owner, current: current, ids: ids, change, notifications: notifications(reason: reason))
        if anyGained { deliveriesQueued.signal() }
        do {
            _ = try await store(StoreContract.recordTagsChanged, ImagesRequest(caller: owner, ids: ids))
        } catch {
            // The edit stands; only other consumers of the log miss this change.
            logger.warning("image.tagsChanged not recorded", metadata: ["images": "\(ids)", "why": "\(error)"])
        }
        return ImageTagsList(items: items)
    }

    /// Every tag and subscription of the owner.
    func deleteOwner(_ owner: String) async throws -> DeletedCount {
        DeletedCount(count: try await tags.deleteOwner(owner))
    }
}
