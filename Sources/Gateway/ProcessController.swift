import Contracts
import Foundation
import Hummingbird
import ImageOperations
import Wire

/// `POST /v1/process` and `/v1/jobs*`: operations now, and dehaze jobs run by ProcessSvc's workers.
struct ProcessController: Sendable {
    let backends: Backends
    let verifier: TokenVerifier
    /// Largest upload in bytes.
    let uploadLimit: Int
    /// Admission for uploads, processing and recognition.
    let heavy: HeavyRequests
    /// The deadline of every call to ProcessSvc.
    let timeout: Duration

    func register(on router: Router<GatewayContext>) {
        router.post("v1/process") { request, context -> Response in
            let owner = try await verifier.authenticate(request).sub
            let result = try await heavy.run(owner) {
                try await process(
                    ProcessBody.read(request, context: context, uploadLimit: uploadLimit).request(owner: owner))
            }
            if let image = result.image {
                return try EditedResponse(
                    status: .created, headers: [.location: "/v1/images/\(image.id)"],
                    response: ImageJSON(image, signer: backends.signer, caller: owner)
                ).response(from: request, context: context)
            }
            return Response(
                status: .ok,
                headers: [
                    .contentType: result.contentType, .cacheControl: "no-store",
                    .contentLength: String(result.bytes.count),
                ],
                body: .init(byteBuffer: ByteBuffer(bytes: result.bytes)))
        }
        let jobs = router.group("v1/jobs")
        jobs.post { request, context -> EditedResponse<JobJSON> in
            let owner = try await verifier.authenticate(request).sub
            return try await heavy.run(owner) { () async throws -> EditedResponse<JobJSON> in
                let body = try await ProcessBody.read(request, context: context, uploadLimit: uploadLimit)
                var imageId = body.imageId
                if let upload = body.upload {
                    imageId =
                        try await backends.client(.store).call(
                            StoreContract.putImage,
                            PutImageRequest(
                                owner: owner, key: body.key, filename: body.filename ?? "",
                                visibility: body.visibility ?? .private, bytes: upload)
                        ).id
                }
                guard let imageId else { throw APIError(.badRequest, "InvalidParameter", "Give imageId or a file") }
                let job = try await process(
                    ProcessContract.createJob,
                    CreateJobRequest(owner: owner, imageId: imageId, operations: body.ops)
                )
                return EditedResponse(
                    status: .accepted, headers: [.location: "/v1/jobs/\(job.id)"],
                    response: JobJSON(job, signer: backends.signer))
            }
        }
        jobs.get { request, _ -> ListJSON<JobJSON> in
            let owner = try await verifier.authenticate(request).sub
            let page = try await process(
                ProcessContract.listJobs, ListJobsRequest(owner: owner, page: PageRequest(query: request)))
            return ListJSON(items: page.items.map { JobJSON($0, signer: backends.signer) }, nextCursor: page.nextCursor)
        }
        jobs.get(":id") { request, context -> JobJSON in
            let owner = try await verifier.authenticate(request).sub
            return JobJSON(
                try await process(
                    ProcessContract.getJob, JobRequest(owner: owner, id: try context.parameters.require("id"))),
                signer: backends.signer)
        }
        jobs.get(":id/result") { request, context -> Response in
            let owner = try await verifier.authenticate(request).sub
            let job = try await process(
                ProcessContract.getJob, JobRequest(owner: owner, id: try context.parameters.require("id")))
            guard job.status == .completed, let result = job.resultImageId else {
                let why = job.status == .error ? "failed: \(job.error ?? "unknown error")" : "is \(job.status.rawValue)"
                throw APIError(.conflict, "JobNotFinished", "Job \(job.id) \(why)")
            }
            let image = try await backends.client(.store).call(
                StoreContract.getImage, ImageRequest(owner: owner, id: result))
            return try await backends.content(of: image, owner: owner, request: request)
        }
        jobs.delete(":id") { request, context -> Response in
            let owner = try await verifier.authenticate(request).sub
            _ = try await process(
                ProcessContract.deleteJob, JobRequest(owner: owner, id: try context.parameters.require("id")))
            return Response(status: .noContent)
        }
        jobs.delete { request, _ -> DeletedCount in
            let owner = try await verifier.authenticate(request).sub
            return try await process(ProcessContract.clearJobs, OwnerRequest(owner: owner))
        }
    }

    private func process(_ request: ProcessRequest) async throws -> ProcessResult {
        try await process(ProcessContract.process, request)
    }

    private func process<Request, Reply>(_ method: Method<Request, Reply>, _ request: Request) async throws -> Reply {
        try await backends.client(.process).call(method, request, timeout: timeout)
    }
}

extension DeletedCount: ResponseEncodable {}

/// The body of `POST /v1/process` and `POST /v1/jobs`: JSON naming a stored image, or an upload with
/// the same fields as form fields (`ops` as JSON text). `ops` decodes straight into typed operations,
/// its errors naming the operation and parameter.
struct ProcessBody: Decodable {
    var imageId: String?
    var ops: [ImageOperation]?
    var format: String?
    var quality: Int?
    var save: Bool?
    var key: String?
    var visibility: Visibility?
    var upload: [UInt8]?
    var filename: String?

    enum CodingKeys: String, CodingKey { case imageId, ops, format, quality, save, key, visibility }

    init(upload: [UInt8]? = nil, filename: String? = nil) { (self.upload, self.filename) = (upload, filename) }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        imageId = try container.decodeIfPresent(String.self, forKey: .imageId)
        if container.contains(.ops), try !container.decodeNil(forKey: .ops) {
            let field = try container.superDecoder(forKey: .ops)
            ops = try Self.operations { () throws(InvalidOperation) in try ImageOperation.decodeList(from: field) }
        }
        format = try container.decodeIfPresent(String.self, forKey: .format)
        quality = try container.decodeIfPresent(Int.self, forKey: .quality)
        save = try container.decodeIfPresent(Bool.self, forKey: .save)
        key = try container.decodeIfPresent(String.self, forKey: .key)
        visibility = try container.decodeIfPresent(Visibility.self, forKey: .visibility)
    }

    /// An operations error as the API's: 400 InvalidParameter with the operation and parameter named.
    private static func operations(_ decode: () throws(InvalidOperation) -> [ImageOperation]) throws(APIError)
        -> [ImageOperation]
    {
        do { return try decode() } catch { throw APIError(.badRequest, "InvalidParameter", error.description) }
    }

    static func read(_ request: Request, context: GatewayContext, uploadLimit: Int) async throws -> ProcessBody {
        guard Upload.isUpload(request) else { return try await request.decode(as: ProcessBody.self, context: context) }
        let upload = try await Upload.read(request, limit: uploadLimit)
        var body = ProcessBody(upload: try upload.file(), filename: upload.filename)
        if let text = upload.fields["ops"] {
            body.ops = try Self.operations { () throws(InvalidOperation) in
                try ImageOperation.parseList(Array(text.utf8))
            }
        }
        body.imageId = upload.fields["imageId"]
        body.format = upload.fields["format"]
        if let text = upload.fields["quality"] {
            guard let quality = Int(text) else {
                throw APIError(.badRequest, "InvalidParameter", "quality must be a number")
            }
            body.quality = quality
        }
        body.save = upload.flag("save")
        body.key = upload.key
        body.visibility = try upload.visibility()
        return body
    }

    func request(owner: String) throws -> ProcessRequest {
        guard let operations = ops else {
            throw APIError(.badRequest, "InvalidParameter", "Give ops, a list of operations")
        }
        return ProcessRequest(
            owner: owner, imageId: upload == nil ? imageId : nil, upload: upload, filename: filename,
            operations: operations, format: format, quality: quality, save: save ?? false, key: key,
            visibility: visibility)
    }
}
