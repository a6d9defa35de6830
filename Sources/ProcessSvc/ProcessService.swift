import Contracts
import Foundation
import ImageIntake
import Imaging
import Logging
import Primitives
import ServiceRuntime
import Wire

/// Image operations on demand, thumbnails, and the jobs' bookkeeping; the bytes live in StoreSvc.
final class ProcessService: Sendable {
    let storeClient: @Sendable () throws -> WireClient
    let jobs: any JobStore
    let settings: ProcessSettings
    let logger: Logger
    let nowMillis: @Sendable () -> Int64
    /// This replica's name in the leases of the jobs it runs: host, process and a random part.
    let replica = "\(ProcessInfo.processInfo.hostName)/\(getpid())/\(Crypto.hex(Crypto.randomBytes(4)))"
    let thumbnailsInFlight = SharedWork<DerivativeContent>()

    init(
        store: @escaping @Sendable () throws -> WireClient, jobs: any JobStore, settings: ProcessSettings,
        logger: Logger,
        nowMillis: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }
    ) {
        (storeClient, self.jobs, self.settings, self.logger, self.nowMillis) = (
            store, jobs, settings, logger, nowMillis
        )
    }

    func store<Request, Response>(_ method: Method<Request, Response>, _ request: Request) async throws -> Response {
        try await storeClient().call(method, request)
    }

    /// Tells the owner's event stream that a job changed (`job.changed` in StoreSvc's log). Best effort:
    /// the job's state is in ProcessSvc's database either way; a missed event only delays a page's update.
    func announceJobChanged(owner: String, id: String) async {
        do {
            _ = try await store(StoreContract.recordJobChanged, JobChangedRequest(owner: owner, jobId: id))
        } catch {
            logger.info("job.changed not recorded", metadata: ["job": "\(id)", "why": "\(error)"])
        }
    }

    /// `POST /v1/process`: the result's bytes, or the saved image.
    func process(_ request: ProcessRequest) async throws -> ProcessResult {
        let pipeline = try Self.pipeline(request.operations)
        var format: ImageFormat?
        if let name = request.format {
            guard let known = ImageFormat(rawValue: name.lowercased()) ?? (name.lowercased() == "jpg" ? .jpeg : nil)
            else { throw WireError(.invalidArgument, "format must be jpeg or png, got '\(name)'") }
            format = known
        }
        let quality = request.quality ?? 90
        guard (1...100).contains(quality) else { throw WireError(.invalidArgument, "quality must be 1…100") }
        let input: [UInt8]
        var source: ImageRecord?
        switch (request.imageId, request.upload) {
        case (let id?, nil):
            let content = try await store(
                StoreContract.content, ContentRequest(image: .init(owner: request.owner, id: id)))
            (input, source) = (content.bytes, content.image)
        case (nil, let bytes?): input = bytes
        default: throw WireError(.invalidArgument, "Give either imageId or an uploaded file")
        }
        let rendition = try await render(input, pipeline: pipeline, format: format, quality: quality)
        guard request.save else {
            return ProcessResult(
                contentType: rendition.format.mediaType, width: rendition.width, height: rendition.height,
                bytes: rendition.bytes)
        }
        let base = ((source?.filename ?? request.filename ?? "image") as NSString).deletingPathExtension
        let saved = try await store(
            StoreContract.putImage,
            PutImageRequest(
                owner: request.owner, key: request.key, filename: "\(base)-processed.\(rendition.format.fileExtension)",
                visibility: request.visibility ?? .private, bytes: rendition.bytes,
                derivedFrom: source?.owner == request.owner ? source?.id : nil))
        return ProcessResult(
            contentType: rendition.format.mediaType, width: rendition.width, height: rendition.height, bytes: [],
            image: saved)
    }

    /// Runs the pipeline off the cooperative pool; cancelling the calling task (the gateway gave up and
    /// sent CANCEL, or the job was stopped) stops the kernels between bands of rows.
    func render(_ bytes: [UInt8], pipeline: Pipeline, format: ImageFormat?, quality: Int) async throws -> Rendition {
        let (pixelLimit, pixelBudget) = (settings.pixelLimit, settings.pixelBudget)
        return try await Self.imaging { (cancellation) throws(ImagingError) -> Rendition in
            try Rendition.render(
                bytes, pipeline: pipeline, format: format, quality: quality, pixelLimit: pixelLimit,
                pixelBudget: pixelBudget, parallelism: Parallelism.allCores.cancelled(by: cancellation))
        }
    }

    /// Imaging work off the cooperative pool, its failures as Wire errors. `work` gets a cancellation
    /// that is set when the calling task is cancelled.
    static func imaging<Value: Sendable>(_ work: @escaping @Sendable (Cancellation) throws(ImagingError) -> Value)
        async throws(WireError) -> Value
    {
        let cancellation = Cancellation()
        let result = await withTaskCancellationHandler {
            await Offload.run { Result { () throws(ImagingError) -> Value in try work(cancellation) } }
        } onCancel: {
            cancellation.cancel()
        }
        do { return try result.get() } catch { throw WireError(error) }
    }

    /// Validates a list of operations (their count; each was checked as it decoded, and is again here).
    static func pipeline(_ operations: [ImageOperation]) throws(WireError) -> Pipeline {
        do {
            return try Pipeline(operations)
        } catch {
            throw WireError(error)
        }
    }

    /// The image's thumbnail: the stored one, or made now (once, however many ask at the same time).
    func thumbnail(_ request: ImageRequest) async throws -> DerivativeContent {
        let image = try await store(StoreContract.getImage, request)
        return try await thumbnailsInFlight.run(key: image.id) { try await self.storedOrNewThumbnail(image) }
    }

    private func storedOrNewThumbnail(_ image: ImageRecord) async throws -> DerivativeContent {
        let owned = ImageRequest(owner: image.owner, id: image.id)
        do {
            return try await store(StoreContract.derivative, DerivativeRequest(image: owned, kind: .thumbnail))
        } catch let error as WireError where error.code == .notFound {}
        let content = try await store(StoreContract.content, ContentRequest(image: owned))
        let thumbnailer = settings.thumbnail
        let (picture, jpeg) = try await Self.imaging { (_) throws(ImagingError) -> (PixelBuffer, [UInt8]) in
            let picture = try thumbnailer.image(from: content.bytes)
            return (picture, try ImageCodec.encode(picture, as: .jpeg, quality: thumbnailer.quality))
        }
        let info = try await store(
            StoreContract.putDerivative,
            PutDerivativeRequest(
                image: owned, kind: .thumbnail, contentType: ImageFormat.jpeg.mediaType, width: picture.width,
                height: picture.height, bytes: jpeg))
        return DerivativeContent(info: info, bytes: jpeg)
    }
}
