import Logging
import NIOCore

/// A REQUEST frame's header: method, deadline and trace, read the same way on both serving paths.
struct RequestHeader {
    var methodID: UInt32
    var deadline: ContinuousClock.Instant?
    var trace: String

    /// Reads the header off `payload`, leaving the body; nil when the header is malformed.
    init?(_ payload: inout ByteBuffer, received: ContinuousClock.Instant) {
        guard let methodID = payload.readVarint(), let timeout = payload.readVarint(),
            let traceLength = payload.readVarint(), traceLength <= UInt64(payload.readableBytes),
            let trace = payload.readString(length: Int(traceLength))
        else { return nil }
        self.methodID = UInt32(truncatingIfNeeded: methodID)
        self.deadline = timeout == 0 ? nil : received.advanced(by: .microseconds(Int64(clamping: timeout)))
        self.trace = trace
    }

    /// What the handler of `route` sees.
    func context(_ route: WireRouter.Route, peer: WirePeer, connectionLogger: Logger) -> WireContext {
        var logger = connectionLogger
        logger[metadataKey: "method"] = "\(route.name)"
        if !trace.isEmpty { logger[metadataKey: "trace"] = "\(WireContext.traceId(trace))" }
        return WireContext(deadline: deadline, trace: trace, logger: logger, peer: peer)
    }

    /// The RESPONSE or ERROR frame for request `id` once its handler has finished.
    func reply(
        to id: UInt32, _ route: WireRouter.Route, _ result: Result<EncodedMessage, any Error>, logger: Logger,
        allocator: ByteBufferAllocator
    ) -> ByteBuffer {
        switch result {
        case .success(let message):
            return Frame.outbound(.response, id: id, capacity: message.count, allocator: allocator) {
                $0.writeMessage(message)
            }
        case .failure(let error):
            let wireError: WireError
            switch error {
            case let error as WireError: wireError = error
            case is CancellationError:
                if let deadline, ContinuousClock.now >= deadline {
                    wireError = WireError(.deadlineExceeded, "\(route.name) ran past its deadline")
                } else {
                    wireError = WireError(.cancelled, "\(route.name) was cancelled")
                }
            default:
                logger.error("Handler failed", metadata: ["error": "\(error)"])
                wireError = WireError(.internal, "\(route.name) failed: \(error)")
            }
            return Frame.error(wireError, id: id, allocator: allocator)
        }
    }
}
