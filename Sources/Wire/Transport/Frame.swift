import NIOCore

/// The kind of a frame, in the first header byte.
public enum FrameType: UInt8, Sendable {
    case hello = 1
    case helloAck = 2
    case request = 3
    case response = 4
    case error = 5
    case cancel = 6
    case ping = 7
    case goaway = 8
}

/// One frame: `u32` big-endian length of what follows, then type, flags, request id and payload.
public struct Frame: Sendable {
    public static let headerSize = 6
    /// HELLO carrying the client's proof; PING answering a PING.
    public static let flagProofOrAck: UInt8 = 0x01

    public var type: FrameType
    public var flags: UInt8
    public var id: UInt32
    public var payload: ByteBuffer

    /// Reads grow from 2 KiB up to 1 MiB while they come back full (NIO's default stops at 64 KiB), so that a
    /// large frame arrives in a few reads rather than sixteen per mebibyte; they shrink again when they don't.
    static let receiveAllocator = AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 2048, maximum: 1 << 20)

    public init(type: FrameType, flags: UInt8 = 0, id: UInt32 = 0, payload: ByteBuffer) {
        self.type = type
        self.flags = flags
        self.id = id
        self.payload = payload
    }

    /// A ready-to-send buffer: length prefix, header, then `body` written by the closure.
    public static func outbound(
        _ type: FrameType, flags: UInt8 = 0, id: UInt32, capacity: Int = 0,
        allocator: ByteBufferAllocator, body: (inout ByteBuffer) throws -> Void
    ) rethrows -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 4 + headerSize + capacity)
        buffer.writeInteger(UInt32(0))
        buffer.writeInteger(type.rawValue)
        buffer.writeInteger(flags)
        buffer.writeInteger(id)
        try body(&buffer)
        buffer.setInteger(UInt32(buffer.readableBytes - 4), at: buffer.readerIndex)
        return buffer
    }

    /// A frame with no payload.
    public static func outbound(_ type: FrameType, flags: UInt8 = 0, id: UInt32, allocator: ByteBufferAllocator)
        -> ByteBuffer
    {
        outbound(type, flags: flags, id: id, capacity: 0, allocator: allocator) { _ in }
    }

    /// The answer to a PING: same id and payload, with the ack flag.
    public static func pingReply(to ping: Frame, allocator: ByteBufferAllocator) -> ByteBuffer {
        outbound(.ping, flags: flagProofOrAck, id: ping.id, capacity: ping.payload.readableBytes, allocator: allocator)
        {
            $0.writeImmutableBuffer(ping.payload)
        }
    }

    /// An ERROR frame for request `id` (0 for the connection as a whole).
    public static func error(_ error: WireError, id: UInt32, allocator: ByteBufferAllocator) -> ByteBuffer {
        outbound(.error, id: id, capacity: 8 + error.message.utf8.count, allocator: allocator) { buffer in
            buffer.writeVarint(UInt64(error.code.rawValue))
            buffer.writeString(error.message)
        }
    }

    /// Reads the error an ERROR frame carries.
    public func wireError() -> WireError {
        var payload = self.payload
        let code = payload.readVarint() ?? UInt64(WireError.Code.unknown.rawValue)
        let message = payload.readString(length: payload.readableBytes) ?? ""
        return WireError(.init(rawValue: UInt32(truncatingIfNeeded: code)), message)
    }
}

/// Splits the byte stream into frames, refusing an oversized length before buffering its body.
public struct FrameDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = Frame
    public let maxFrameSize: Int
    /// Largest frame a peer may send before it has proved the cluster secret.
    public static let handshakeFrameLimit = 4096
    /// HELLO frames still to come before the peer is authenticated: 2 on a server's connection (the HELLO
    /// and the proof), each at most `handshakeFrameLimit` bytes and nothing but HELLO, so an unauthenticated
    /// peer cannot make the server reserve room for a 64 MiB frame. 0 on a client's connection.
    private var handshakeFramesLeft: Int

    public init(maxFrameSize: Int, handshakeFrames: Int = 0) {
        self.maxFrameSize = maxFrameSize
        handshakeFramesLeft = handshakeFrames
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> Frame? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return nil }
        guard length >= Frame.headerSize else {
            throw WireError(.protocolViolation, "Frame length \(length) is shorter than its header")
        }
        let limit = handshakeFramesLeft > 0 ? Self.handshakeFrameLimit : maxFrameSize
        guard UInt64(length) <= UInt64(limit) else {
            // A TLS record (handshake 0x16 or alert 0x15, version 3.x) read as a frame length is hundreds
            // of megabytes: the peer speaks TLS and this side plain Wire.
            if length >> 24 == 0x15 || length >> 24 == 0x16, (length >> 16) & 0xFF == 0x03 {
                throw WireError(
                    .failedPrecondition,
                    "The peer speaks TLS and this side plain Wire: give both certificates (clearsky certs) or run both with --plain-wire"
                )
            }
            let when = handshakeFramesLeft > 0 ? " before authentication" : ""
            throw WireError(.protocolViolation, "Frame of \(length) bytes exceeds the limit of \(limit)\(when)")
        }
        let typeIndex = buffer.readerIndex + 4
        guard let rawType = buffer.getInteger(at: typeIndex, as: UInt8.self) else { return nil }
        guard let type = FrameType(rawValue: rawType) else {
            throw WireError(.protocolViolation, "Unknown frame type \(rawType)")
        }
        if handshakeFramesLeft > 0 {
            guard type == .hello else {
                throw WireError(.protocolViolation, "Only the handshake's frames come before authentication")
            }
        }
        guard buffer.readableBytes >= 4 + Int(length) else {
            // The length is trusted only up to maxFrameSize, checked above: make room once
            // instead of letting the cumulation buffer grow by doubling (and copying) as reads arrive.
            buffer.reserveCapacity(minimumWritableBytes: 4 + Int(length) - buffer.readableBytes)
            return nil
        }
        buffer.moveReaderIndex(forwardBy: 5)
        let flags = buffer.readInteger(as: UInt8.self)!
        let id = buffer.readInteger(as: UInt32.self)!
        let payload = buffer.readSlice(length: Int(length) - Frame.headerSize)!
        if handshakeFramesLeft > 0 { handshakeFramesLeft -= 1 }
        return Frame(type: type, flags: flags, id: id, payload: payload)
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> Frame? {
        try decode(buffer: &buffer)
    }
}

extension ByteBuffer {
    /// Writes an encoded message, copying each of its large byte fields once, from where it lies.
    mutating func writeMessage(_ message: EncodedMessage) {
        message.forEachPart { writeBytes($0) }
    }

    mutating func writeVarint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            writeInteger(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        writeInteger(UInt8(truncatingIfNeeded: rest))
    }

    mutating func readVarint() -> UInt64? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while let byte = readInteger(as: UInt8.self) {
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 { return nil }
        }
        return nil
    }
}
