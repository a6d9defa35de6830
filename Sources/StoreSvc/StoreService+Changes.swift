import Contracts
import Foundation
import ImageIntake
import Imaging
import Primitives
import ServiceRuntime
import Wire

extension StoreService {
    /// Stores an upload: checked as an image, its blob staged and fsynced outside the database lock, then
    /// renamed into place and recorded with its event in one write. A request whose caller has stopped
    /// waiting (its deadline passed, or it sent CANCEL) does not commit (L10): a retry would store it twice.
    func putImage(_ request: PutImageRequest) async throws -> ImageRecord {
        try Self.checkOwner(request.owner)
        let deadline = WireTrace.deadline
        try Self.check(deadline, "putImage")
        guard request.bytes.count <= settings.maxImageBytes else {
            throw WireError(.payloadTooLarge, "The image is larger than \(settings.maxImageBytes) bytes")
        }
        if let key = request.key { try ImageKey.validate(key) }
        // Decoding, hashing and the fsync run off the cooperative pool; the database write waits for them.
        let (pixelLimit, blobs) = (settings.pixelLimit, self.blobs)
        let (header, sha256, staged) = try await Offload.run {
            Result { () throws -> (ImageHeader, String, String) in
                let header = try ImageIntake.inspect(request.bytes, pixelLimit: pixelLimit)
                return (header, Crypto.hex(Crypto.sha256(request.bytes)), try blobs.stage(request.bytes))
            }
        }.get()
        let id = "img_" + Crypto.hex(Crypto.randomBytes(10))
        let (width, height) = header.orientedSize
        let fresh = ImageRow(
            id: id, owner: request.owner,
            key: request.key ?? ImageKey.generated(id: id, fileExtension: header.format.fileExtension),
            filename: Self.cleanFilename(request.filename, fallback: "image.\(header.format.fileExtension)"),
            contentType: header.format.mediaType, width: width, height: height, size: request.bytes.count,
            sha256: sha256, visibility: request.visibility.rawValue, createdAt: nowMillis(),
            derivedFrom: request.derivedFrom)
        let outcome = try await changing(
            .put(fresh, overwrite: request.overwrite, at: nowMillis()), owner: request.owner, staged: staged,
            publishing: sha256, deadline: deadline
        ) { [blobs] in
            try blobs.publish(staged: staged, owner: request.owner, sha256: sha256)
        }
        guard let stored = outcome.image else { throw WireError(.internal, "The image was not stored") }
        let sequence = outcome.sequence
        derivatives.forget([stored.id])
        published(sequence)
        logger.info(
            "Image stored",
            metadata: ["image": "\(stored.id)", "bytes": "\(stored.size)", "event": "\(sequence)"])
        return stored.record
    }

    /// Stores (or replaces) one derivative of an image its owner has.
    func putDerivative(_ request: PutDerivativeRequest) async throws -> DerivativeInfo {
        let image = try await ownedImage(request.image)
        guard request.bytes.count <= settings.maxImageBytes, !request.bytes.isEmpty else {
            throw WireError(.invalidArgument, "A derivative must be 1…\(settings.maxImageBytes) bytes")
        }
        let blobs = self.blobs
        let (sha256, staged) = try await Offload.run {
            Result { () throws -> (String, String) in
                (Crypto.hex(Crypto.sha256(request.bytes)), try blobs.stage(request.bytes))
            }
        }.get()
        let row = DerivativeRow(
            imageId: image.id, kind: request.kind.rawValue, owner: image.owner, contentType: request.contentType,
            width: request.width, height: request.height, size: request.bytes.count, sha256: sha256)
        _ = try await changing(.putDerivative(row), owner: image.owner, staged: staged, publishing: sha256) {
            [blobs] in
            try blobs.publish(staged: staged, owner: image.owner, sha256: sha256)
        }
        derivatives.forget([image.id])
        return row.info
    }

    /// Deletes one of the owner's images with its derivatives; blobs nothing else uses go too.
    func deleteImage(_ request: ImageRequest) async throws {
        let image = try await ownedImage(request)
        try await delete(owner: image.owner, ids: [image.id])
    }

    /// Deletes everything `owner` has (for account deletion).
    func deleteOwner(_ request: OwnerRequest) async throws -> DeletedCount {
        try Self.checkOwner(request.owner)
        let ids = try await store.imageIds(owner: request.owner)
        try await delete(owner: request.owner, ids: ids, removingFolder: true)
        return DeletedCount(count: ids.count)
    }

    /// Deletes `ids`; with `removingFolder`, the owner's blob folder goes too when no row of theirs is left
    /// (decided under the write lock, so an upload that commits meanwhile keeps its blob: L11).
    private func delete(owner: String, ids: [String], removingFolder: Bool = false) async throws {
        let outcome = try await changing(
            .delete(ids: ids, at: nowMillis()), owner: owner, removingFolder: removingFolder)
        derivatives.forget(ids)
        published(outcome.sequence)
    }

    /// Runs `change` through the store (`ImageStore.apply`: one transaction, serialized with the owner's
    /// other changes). `publish` runs in the transaction; then the blobs of `owner` the change released
    /// that no row uses are removed from disk and from the cache while the change is still serialized: a
    /// change that publishes the same blob for a new row waits for it, so it never sees its blob removed
    /// after it committed (M1). When the change fails, the file it was to publish (`staged`) is removed,
    /// and the blob it published (`publishing`) too unless a row uses it. Past `deadline`, or once the task
    /// is cancelled, nothing commits.
    private func changing(
        _ change: ImageChange, owner: String, staged: String? = nil, publishing: String? = nil,
        deadline: ContinuousClock.Instant? = nil, removingFolder: Bool = false,
        publish: @escaping @Sendable () throws -> Void = {}
    ) async throws -> ChangeOutcome {
        let folder = "\(blobs.blobsFolder)/\(owner)"
        let hooks = ChangeHooks(
            beforeCommit: {
                try publish()
                try Self.check(deadline, "The change")
            },
            committed: { outcome in
                for sha in outcome.orphans { self.forget(owner: owner, sha256: sha) }
                if removingFolder, outcome.ownsNothing { try? FileManager.default.removeItem(atPath: folder) }
            },
            rolledBack: { publishingIsUnused in
                if let publishing, publishingIsUnused { self.forget(owner: owner, sha256: publishing) }
            })
        do {
            return try await store.apply(
                change, owner: owner, publishing: publishing, trace: WireTrace.current, hooks: hooks)
        } catch {
            if let staged { unlink(staged) }
            throw error
        }
    }

    /// Refuses to go on once the caller has stopped waiting: its deadline passed or it cancelled.
    static func check(_ deadline: ContinuousClock.Instant?, _ what: String) throws {
        if let deadline, ContinuousClock.now >= deadline {
            throw WireError(.deadlineExceeded, "\(what) ran past its deadline; nothing was stored")
        }
        if Task.isCancelled { throw WireError(.cancelled, "\(what) was cancelled; nothing was stored") }
    }

    /// The last path component, without control characters, at most 255 bytes; `fallback` when nothing is left.
    static func cleanFilename(_ name: String, fallback: String) -> String {
        let last = name.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        var clean = String(
            String.UnicodeScalarView(last.unicodeScalars.filter { $0.properties.generalCategory != .control }))
        while clean.utf8.count > 255 { clean.removeLast() }
        return clean.isEmpty || clean == "." || clean == ".." ? fallback : clean
    }
}
