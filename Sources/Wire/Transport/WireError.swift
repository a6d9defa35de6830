import Synchronization

/// An error that crosses the wire: an extensible code and a human-readable message.
public struct WireError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    /// Whether the same call may succeed later: the peer was down, slow, busy, or the call was cancelled.
    public var isTransient: Bool {
        [Code.unavailable, .deadlineExceeded, .resourceExhausted, .cancelled].contains(code)
    }

    /// A status code; services add their own by extending `Code` with new static values.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let rawValue: UInt32
        public let name: String

        public init(_ rawValue: UInt32, _ name: String) {
            self.rawValue = rawValue
            self.name = name
        }

        public var description: String { name }

        public static func == (lhs: Code, rhs: Code) -> Bool { lhs.rawValue == rhs.rawValue }
        public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }

        public static let cancelled = Code(1, "cancelled")
        public static let unknown = Code(2, "unknown")
        public static let invalidArgument = Code(3, "invalidArgument")
        public static let deadlineExceeded = Code(4, "deadlineExceeded")
        public static let notFound = Code(5, "notFound")
        public static let alreadyExists = Code(6, "alreadyExists")
        public static let permissionDenied = Code(7, "permissionDenied")
        public static let resourceExhausted = Code(8, "resourceExhausted")
        public static let failedPrecondition = Code(9, "failedPrecondition")
        public static let aborted = Code(10, "aborted")
        public static let outOfRange = Code(11, "outOfRange")
        public static let unimplemented = Code(12, "unimplemented")
        public static let `internal` = Code(13, "internal")
        public static let unavailable = Code(14, "unavailable")
        public static let dataLoss = Code(15, "dataLoss")
        public static let unauthenticated = Code(16, "unauthenticated")
        /// The peer broke the protocol (bad frame, bad handshake); the connection is closed.
        public static let protocolViolation = Code(100, "protocolViolation")

        /// The transport's own codes. Services register theirs (`register`), so a code read off the wire
        /// gets its name back; the transport names none of them.
        static let builtIn: [Code] = [
            .cancelled, .unknown, .invalidArgument, .deadlineExceeded, .notFound, .alreadyExists,
            .permissionDenied, .resourceExhausted, .failedPrecondition, .aborted, .outOfRange,
            .unimplemented, .internal, .unavailable, .dataLoss, .unauthenticated, .protocolViolation,
        ]

        private static let registry = Mutex<[UInt32: Code]>(
            Dictionary(uniqueKeysWithValues: builtIn.map { ($0.rawValue, $0) }))

        /// Makes `codes` known by number. A number registered twice keeps its first name.
        public static func register(_ codes: [Code]) {
            registry.withLock { table in
                for code in codes where table[code.rawValue] == nil { table[code.rawValue] = code }
            }
        }

        /// The code for a raw value read off the wire; unknown values keep their number.
        public init(rawValue: UInt32) {
            self = Code.registry.withLock { $0[rawValue] } ?? Code(rawValue, "code\(rawValue)")
        }
    }
}

extension WireError {
    /// A draining server's answer to a request it did not start: the request never ran, so a client may
    /// send it to another replica whatever the method does.
    public static let shuttingDown = WireError(.unavailable, "Server is shutting down")

    /// Whether this is a draining server's refusal (`shuttingDown`).
    public var isShuttingDownRefusal: Bool { code == .unavailable && message == Self.shuttingDown.message }
}
