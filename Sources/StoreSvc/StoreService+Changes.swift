import Contracts
import Foundation
import GRDB
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
        let trace = WireTrace.current
        let (stored, sequence) = try await changing(
            owner: request.owner, staged: staged, publishing: sha256, deadline: deadline
        ) { [blobs, nowMillis] db in
            var row = fresh
            var event = EventRow(.imageCreated, row, at: row.createdAt, trace: trace)
            var released: [String] = []
            if let existing = try ImageRow.filter(Column("owner") == row.owner && Column("key") == row.key)
                .fetchOne(db)
            {
                guard request.overwrite else {
                    throw WireError(.keyExists, "An image with key '\(row.key)' exists; ask for overwrite")
                }
                let stale = try DerivativeRow.filter(Column("imageId") == existing.id).fetchAll(db)
                try DerivativeRow.filter(Column("imageId") == existing.id).deleteAll(db)
                (row.position, row.id, row.createdAt) = (existing.position, existing.id, existing.createdAt)
                try row.update(db)
                event = EventRow(.imageReplaced, row, at: nowMillis(), trace: trace)
                released = [existing.sha256] + stale.map(\.sha256)
            } else {
                try row.insert(db)
            }
            try blobs.publish(staged: staged, owner: row.owner, sha256: sha256)
            try event.insert(db)
            return ((row, event.sequence ?? 0), released)
        }
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
        try await changing(owner: image.owner, staged: staged, publishing: sha256) { [blobs] db in
            guard try ImageRow.filter(Column("id") == image.id).fetchCount(db) == 1 else {
                throw WireError(.notFound, "No image \(image.id)")
            }
            let old = try DerivativeRow.filter(Column("imageId") == image.id && Column("kind") == row.kind).fetchOne(db)
            try blobs.publish(staged: staged, owner: image.owner, sha256: sha256)
            try row.save(db)
            return ((), old.map { [$0.sha256] } ?? [])
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
        let ids = try await store.database.read { db in
            try String.fetchAll(db, sql: "SELECT id FROM image WHERE owner = ?", arguments: [request.owner])
        }
        try await delete(owner: request.owner, ids: ids, removingFolder: true)
        return DeletedCount(count: ids.count)
    }

    /// Deletes `ids`; with `removingFolder`, the owner's blob folder goes too when no row of theirs is left
    /// (decided under the write lock, so an upload that commits meanwhile keeps its blob: L11).
    private func delete(owner: String, ids: [String], removingFolder: Bool = false) async throws {
        let trace = WireTrace.current
        let sequence = try await changing(owner: owner, removingFolder: removingFolder) { [nowMillis] db in
            var sequence: Int64 = 0
            var released: [String] = []
            for id in ids {
                guard let image = try ImageRow.filter(Column("id") == id && Column("owner") == owner).fetchOne(db)
                else { continue }
                let stale = try DerivativeRow.filter(Column("imageId") == id).fetchAll(db)
                try image.delete(db)
                try db.execute(sql: "UPDATE image SET derivedFrom = NULL WHERE derivedFrom = ?", arguments: [id])
                var event = EventRow(.imageDeleted, image, at: nowMillis(), trace: trace)
                try event.insert(db)
                sequence = event.sequence ?? sequence
                released += [image.sha256] + stale.map(\.sha256)
            }
            return (sequence, released)
        }
        derivatives.forget(ids)
        published(sequence)
    }

    /// Runs `change` in one write transaction. The change returns its result and the blobs of `owner` it
    /// may have released; those no row uses once it commits are removed from disk and from the cache, while
    /// this still holds the database's one writer: a change that publishes the same blob for a new row
    /// waits for that writer, so it never sees its blob removed after it committed (M1). When the change
    /// fails, the file it was to publish (`staged`) is removed, and the blob it published (`publishing`)
    /// too unless a row uses it. Past `deadline`, or once the task is cancelled, nothing commits.
    private func changing<Result: Sendable>(
        owner: String, staged: String? = nil, publishing: String? = nil, deadline: ContinuousClock.Instant? = nil,
        removingFolder: Bool = false,
        _ change: @escaping @Sendable (Database) throws -> (result: Result, released: [String])
    ) async throws -> Result {
        let folder = "\(blobs.blobsFolder)/\(owner)"
        do {
            return try await store.database.writeWithoutTransaction { db in
                var outcome: (Result, Set<String>)?
                do {
                    try db.inTransaction {
                        let (result, released) = try change(db)
                        outcome = (
                            result, try Set(released).filter { try Self.isUnreferenced(db, owner: owner, sha256: $0) }
                        )
                        try Self.check(deadline, "The change")
                        return .commit
                    }
                } catch {
                    if let publishing, try Self.isUnreferenced(db, owner: owner, sha256: publishing) {
                        self.forget(owner: owner, sha256: publishing)
                    }
                    throw error
                }
                let (result, orphans) = outcome!
                for sha in orphans { self.forget(owner: owner, sha256: sha) }
                if removingFolder, try Self.ownsNothing(db, owner: owner) {
                    try? FileManager.default.removeItem(atPath: folder)
                }
                return result
            }
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

    static func ownsNothing(_ db: Database, owner: String) throws -> Bool {
        try Int.fetchOne(
            db,
            sql: """
                SELECT (SELECT COUNT(*) FROM image WHERE owner = ?1)
                     + (SELECT COUNT(*) FROM derivative WHERE owner = ?1)
                """, arguments: [owner]) == 0
    }

    static func isUnreferenced(_ db: Database, owner: String, sha256: String) throws -> Bool {
        let uses = try Int.fetchOne(
            db,
            sql: """
                SELECT (SELECT COUNT(*) FROM image WHERE owner = ?1 AND sha256 = ?2)
                     + (SELECT COUNT(*) FROM derivative WHERE owner = ?1 AND sha256 = ?2)
                """, arguments: [owner, sha256])
        return uses == 0
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
