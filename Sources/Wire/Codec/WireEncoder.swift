import Foundation

/// Encodes any `Encodable` value into Wire's binary format (see docs/wire.md).
public struct WireEncoder: Sendable {
    /// The deepest nesting the encoder follows before it reports a cycle or runaway recursion.
    public var maxDepth: Int

    public init(maxDepth: Int = 64) {
        self.maxDepth = maxDepth
    }

    /// The encoding of `value`, as a message body.
    public func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        try encodeMessage(value).bytes
    }

    /// Appends the encoding of `value` to `bytes`.
    public func encode<T: Encodable>(_ value: T, into bytes: inout [UInt8]) throws {
        let message = try encodeMessage(value)
        if bytes.isEmpty {
            bytes = message.bytes
        } else {
            message.append(to: &bytes)
        }
    }

    /// The encoding of `value` with its large byte fields still by reference, for writing into a frame.
    func encodeMessage<T: Encodable>(_ value: T) throws -> EncodedMessage {
        let state = EncodingState(maxDepth: maxDepth)
        _ = try state.encodeValue(value, context: .element, key: nil)
        return EncodedMessage(head: state.out.bytes, segments: state.segments)
    }
}

/// An encoded message whose large byte fields (see `EncodingState.segmentThreshold`) are kept by reference
/// rather than copied into `head`: writing it out copies each payload once, straight to its destination.
struct EncodedMessage: Sendable {
    /// Every byte except the segments'.
    let head: [UInt8]
    /// In `head` order; each sits before `head[at]`.
    let segments: [EncodingState.Segment]
    /// The encoding's length.
    let count: Int

    init(head: [UInt8], segments: [EncodingState.Segment] = []) {
        self.head = head
        self.segments = segments
        count = segments.reduce(head.count) { $0 + $1.bytes.count }
    }

    /// The encoding as one array.
    var bytes: [UInt8] {
        guard !segments.isEmpty else { return head }
        var bytes: [UInt8] = []
        append(to: &bytes)
        return bytes
    }

    func append(to bytes: inout [UInt8]) {
        bytes.reserveCapacity(bytes.count + count)
        forEachPart { bytes.append(contentsOf: $0) }
    }

    /// Calls `body` with each run of bytes in order.
    func forEachPart(_ body: (UnsafeRawBufferPointer) -> Void) {
        head.withUnsafeBytes { head in
            var start = 0
            for segment in segments {
                body(UnsafeRawBufferPointer(rebasing: head[start..<segment.at]))
                segment.bytes.withUnsafeBytes(body)
                start = segment.at
            }
            body(UnsafeRawBufferPointer(rebasing: head[start...]))
        }
    }
}

/// Where a value is written decides how nil and empty values look.
enum EncodeContext {
    /// The value of a tagged field: nil omits the field.
    case field
    /// An array element or a message body: nil is a presence byte.
    case element
}

/// Bookkeeping for one value while its `encode(to:)` runs.
struct EncodeFrame {
    enum Kind { case none, keyed, unkeyed, single }
    var kind: Kind = .none
    var context: EncodeContext
    /// The key this value is stored under in its parent message, for coding paths in errors.
    var key: (any CodingKey)?
    var lengthOffset = 0
    var count = 0
    var singleType: WireType? = nil
    var isNil = false
}

/// The one buffer a value is encoded into, and the frames of the values being encoded.
final class EncodingState {
    /// Room for a typical record up front, instead of five or six regrowths on the way.
    var out = ByteSink(capacity: 256)
    /// Byte fields of at least `segmentThreshold` bytes, kept by reference instead of copied into `out`.
    var segments: [Segment] = []
    static let segmentThreshold = 4096

    /// A byte field's payload that sits before `out[at]` (at `out.count` when nothing follows).
    struct Segment: Sendable {
        var at: Int
        var bytes: [UInt8]
    }
    var frames: [EncodeFrame] = []
    /// Nested containers and super encoders, written into their parent frame when it finishes.
    var pending: [(frame: Int, number: Int, child: EncodingState)] = []
    var deferredError: (any Error)?
    let maxDepth: Int
    /// The coding path above this state's root (non-empty for detached children).
    let basePath: [any CodingKey]

    init(maxDepth: Int, basePath: [any CodingKey] = []) {
        self.maxDepth = maxDepth
        self.basePath = basePath
    }

    /// The coding path of the value encoded in `frame`, built only when someone asks (errors, `codingPath`).
    func codingPath(_ frame: Int) -> [any CodingKey] {
        guard frame >= 0, !frames.isEmpty else { return basePath }
        return basePath + frames[...min(frame, frames.count - 1)].compactMap(\.key)
    }

    /// Writes the value's encoding and returns its wire type, or nil when the value is nil in field context.
    func encodeValue<T: Encodable>(
        _ value: T, context: EncodeContext, key: (any CodingKey)?
    ) throws -> WireType? {
        if T.self == [UInt8].self {
            let bytes = value as! [UInt8]
            out.appendVarint(UInt64(bytes.count))
            if bytes.count >= Self.segmentThreshold {
                segments.append(Segment(at: out.count, bytes: bytes))
            } else {
                bytes.withUnsafeBytes { out.append($0) }
            }
            return .length
        }
        if T.self == Data.self {
            let data = value as! Data
            out.appendVarint(UInt64(data.count))
            data.withUnsafeBytes { out.append($0) }
            return .length
        }
        // Cheap gates first: the conditional-conformance casts behind them cost ~100 ns each.
        if _isOptional(T.self), let optional = value as? any WireOptionalEncodable {
            guard let wrapped = optional.wireWrapped else {
                if context == .field { return nil }
                out.append(0)
                return .varint
            }
            if context == .element { out.append(1) }
            return try encodeValue(wrapped, context: context, key: key)
        }
        if CollectionKinds.of(T.self) == CollectionKinds.map, let map = value as? any WireMapEncodable {
            return try encodeValue(map.wireEntries, context: context, key: key)
        }
        guard frames.count < maxDepth else {
            throw EncodingError.invalidValue(
                value,
                .init(
                    codingPath: codingPath(frames.count - 1) + (key.map { [$0] } ?? []),
                    debugDescription: "Nesting deeper than \(maxDepth) levels"))
        }
        frames.append(EncodeFrame(context: context, key: key))
        let index = frames.count - 1
        defer { frames.removeLast() }
        try value.encode(to: WireValueEncoder(state: self, frame: index))
        return try finish(frame: index)
    }

    private func finish(frame index: Int) throws -> WireType? {
        if let error = deferredError {
            deferredError = nil
            throw error
        }
        let frame = frames[index]
        switch frame.kind {
        case .none:
            out.append(0)
            return .length
        case .single:
            if frame.isNil { return nil }
            guard let type = frame.singleType else {
                out.append(0)
                return .length
            }
            return type
        case .keyed:
            if !pending.isEmpty {
                let children = pending.filter { $0.frame == index }
                pending.removeAll { $0.frame == index }
                for (_, number, child) in children {
                    let type = try child.finishDetached()
                    out.appendVarint(UInt64(number) << 3 | UInt64(type.rawValue))
                    let base = out.count
                    child.out.withUnsafeBytes { out.append($0) }
                    for var segment in child.segments {
                        segment.at += base
                        segments.append(segment)
                    }
                }
            }
            patchLength(reservedAt: frame.lengthOffset)
            return .length
        case .unkeyed:
            patchVarint(UInt64(frame.count), reservedAt: frame.lengthOffset + 1)
            patchLength(reservedAt: frame.lengthOffset)
            return .length
        }
    }

    /// Writes the byte count of everything after `offset` (segments included) into the slot reserved there.
    @inline(__always)
    private func patchLength(reservedAt offset: Int) {
        var length = out.count - offset - 1
        if !segments.isEmpty {
            for segment in segments.reversed() {
                guard segment.at > offset else { break }
                length += segment.bytes.count
            }
        }
        patchVarint(UInt64(length), reservedAt: offset)
    }

    /// `out.patchVarint`, moving the segments after the slot along when it widens.
    @inline(__always)
    private func patchVarint(_ value: UInt64, reservedAt offset: Int) {
        let before = out.count
        out.patchVarint(value, reservedAt: offset)
        let widened = out.count - before
        guard widened > 0, !segments.isEmpty else { return }
        for index in segments.indices.reversed() {
            guard segments[index].at > offset else { break }
            segments[index].at += widened
        }
    }

    /// A detached state (a nested container or super encoder) finishes its one root frame.
    func finishDetached() throws -> WireType {
        try finish(frame: 0) ?? .length
    }

    /// Starts a child value written later into the parent message (nested containers, super encoders).
    func detachedChild(parent index: Int, number: Int, key: (any CodingKey)?) -> EncodingState {
        let child = EncodingState(
            maxDepth: maxDepth - frames.count, basePath: codingPath(index) + (key.map { [$0] } ?? []))
        child.frames.append(EncodeFrame(context: .field))
        if frames[index].kind == .keyed {
            pending.append((index, number, child))
        } else {
            deferredError = EncodingError.invalidValue(
                number,
                .init(
                    codingPath: codingPath(index),
                    debugDescription: "Wire supports nested containers only inside keyed containers"))
        }
        return child
    }

    /// Claims the frame for a container kind, reserving its length prefix.
    func open(_ kind: EncodeFrame.Kind, frame index: Int) {
        let current = frames[index].kind
        if current == kind, kind == .keyed { return }
        guard current == .none else {
            deferredError = EncodingError.invalidValue(
                kind,
                .init(codingPath: codingPath(index), debugDescription: "A value asked for a second container"))
            return
        }
        frames[index].kind = kind
        frames[index].lengthOffset = out.count
        switch kind {
        case .keyed: out.append(0)
        case .unkeyed:
            out.append(0)
            out.append(0)
        case .single, .none: break
        }
    }

    /// Writes a tagged field whose value is produced by `body`; drops the tag when the value is nil.
    @inline(__always)
    func field(_ key: some CodingKey, frame: Int, _ body: () throws -> WireType?) throws {
        let number = try fieldNumber(key, frame: frame)
        let tagOffset = out.count
        out.appendVarint(UInt64(number) << 3)
        guard let type = try body() else {
            out.truncate(to: tagOffset)
            return
        }
        out[tagOffset] |= type.rawValue
    }

    /// The field number a key stands for: its `intValue`, which must be in `0 ..< 2^29`.
    func fieldNumber(_ key: some CodingKey, frame: Int) throws -> Int {
        guard let number = key.intValue, number >= 0, number < (1 << 29) else {
            throw EncodingError.invalidValue(
                key.stringValue,
                .init(
                    codingPath: codingPath(frame) + [key],
                    debugDescription:
                        "Wire needs an integer field number in 0..<2^29 for key '\(key.stringValue)' (CodingKeys: Int)")
            )
        }
        return number
    }
}
