import Contracts
import Foundation
import GRDB

/// A row of `image`.
struct ImageRow: Codable, FetchableRecord, MutablePersistableRecord, Sendable {
    static let databaseTableName = "image"
    var position: Int64?
    var id: String
    var owner: String
    var key: String
    var filename: String
    var contentType: String
    var width: Int
    var height: Int
    var size: Int
    var sha256: String
    var visibility: String
    var createdAt: Int64
    var derivedFrom: String?

    mutating func didInsert(_ inserted: InsertionSuccess) { position = inserted.rowID }

    var access: Visibility { Visibility(rawValue: visibility) ?? .private }

    var record: ImageRecord {
        ImageRecord(
            id: id, owner: owner, key: key, filename: filename, contentType: contentType, width: width, height: height,
            size: size, sha256: sha256, visibility: access, createdAt: createdAt,
            derivedFrom: derivedFrom)
    }
}

/// A row of `derivative`.
struct DerivativeRow: Codable, FetchableRecord, PersistableRecord, Sendable {
    static let databaseTableName = "derivative"
    var imageId: String
    var kind: String
    var owner: String
    var contentType: String
    var width: Int
    var height: Int
    var size: Int
    var sha256: String

    var info: DerivativeInfo {
        DerivativeInfo(
            imageId: imageId, kind: DerivativeKind(rawValue: kind) ?? .thumbnail, contentType: contentType,
            width: width, height: height, size: size, sha256: sha256)
    }
}

/// A row of `event`.
struct EventRow: Codable, FetchableRecord, MutablePersistableRecord, Sendable {
    static let databaseTableName = "event"
    var sequence: Int64?
    var kind: String
    var imageId: String
    var owner: String
    var visibility: String
    var createdAt: Int64
    /// The trace context of the request that made the change (`WireTrace.current` when it was served).
    var trace: String?
    /// Which of the log's partitions the event is in (`EventPartitions.of`): one per subject, so the events
    /// of one image reach a consumer's replicas in order, through whichever replica holds its partition.
    var part: Int

    init(_ kind: StoreEvent.Kind, _ image: ImageRow, at time: Int64, trace: String) {
        (self.kind, imageId, owner, visibility, createdAt) = (
            kind.rawValue, image.id, image.owner, image.visibility, time
        )
        self.trace = trace.isEmpty ? nil : trace
        part = EventPartitions.of(image.id)
    }

    /// An event about something that is not an image (a job): its id, its owner.
    init(_ kind: StoreEvent.Kind, subject: String, owner: String, at time: Int64, trace: String) {
        (self.kind, imageId, self.owner, visibility, createdAt) = (
            kind.rawValue, subject, owner, Visibility.private.rawValue, time
        )
        self.trace = trace.isEmpty ? nil : trace
        part = EventPartitions.of(subject)
    }

    init(
        sequence: Int64?, kind: String, imageId: String, owner: String, visibility: String, createdAt: Int64,
        trace: String?, part: Int
    ) {
        (self.sequence, self.kind, self.imageId, self.owner, self.visibility, self.createdAt, self.trace) = (
            sequence, kind, imageId, owner, visibility, createdAt, trace
        )
        self.part = part
    }

    mutating func didInsert(_ inserted: InsertionSuccess) { sequence = inserted.rowID }

    var event: StoreEvent {
        StoreEvent(
            sequence: sequence ?? 0, kind: kind, imageId: imageId, owner: owner,
            visibility: Visibility(rawValue: visibility) ?? .private, createdAt: createdAt, trace: trace)
    }
}
