import Logging
import Primitives
import Synchronization
import Tracing

/// Where one span sits in a trace, as W3C Trace Context writes it in a `traceparent`:
/// `00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`. Ids of all zeros are invalid.
public struct SpanIdentity: Sendable, Hashable {
    public var traceId: String
    public var spanId: String
    public var sampled: Bool

    public init(traceId: String, spanId: String, sampled: Bool) {
        (self.traceId, self.spanId, self.sampled) = (traceId, spanId, sampled)
    }

    /// A new span: a child of `parent` (same trace, new span id), or the root of a new trace.
    public init(childOf parent: SpanIdentity?) {
        self.init(
            traceId: parent?.traceId ?? Crypto.hex(Crypto.randomBytes(16)), spanId: Crypto.hex(Crypto.randomBytes(8)),
            sampled: parent?.sampled ?? false)
    }

    /// Parses a `traceparent` header; nil for anything that is not version 00 with valid ids.
    public init?(traceparent header: String) {
        let parts = header.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "00", Self.isId(parts[1], 32), Self.isId(parts[2], 16),
            parts[3].utf8.count == 2, let flags = UInt8(parts[3], radix: 16), Self.isLowerHex(parts[3])
        else { return nil }
        self.init(traceId: String(parts[1]), spanId: String(parts[2]), sampled: flags & 1 == 1)
    }

    public var traceparent: String { "00-\(traceId)-\(spanId)-\(sampled ? "01" : "00")" }

    private static func isId(_ text: Substring, _ count: Int) -> Bool {
        text.utf8.count == count && isLowerHex(text) && text.utf8.contains { $0 != UInt8(ascii: "0") }
    }

    private static func isLowerHex(_ text: Substring) -> Bool {
        text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}

extension ServiceContext {
    /// The current span's place in its trace, when a `W3CTracer` started one.
    public var spanIdentity: SpanIdentity? {
        get { self[SpanIdentityKey.self] }
        set { self[SpanIdentityKey.self] = newValue }
    }
}

private enum SpanIdentityKey: ServiceContextKey {
    typealias Value = SpanIdentity
    static var nameOverride: String? { "traceparent" }
}

/// The tracer every Clearsky process installs: it propagates W3C Trace Context (`traceparent`) through
/// HTTP headers and Wire's request header, giving every span a place in its trace, and records nothing
/// (its spans are non-recording, as OpenTelemetry calls spans that are not sampled for export). What
/// follows a request is the trace id on every log line (`Logger.MetadataProvider.traceId`).
public struct W3CTracer: Tracer {
    public init() {}

    /// Installs the tracer for the process; later calls do nothing.
    public static func bootstrap() {
        _ = installed
    }

    private static let installed: Void = InstrumentationSystem.bootstrap(W3CTracer())

    public func startSpan<Instant: TracerInstant>(
        _ operationName: String, context: @autoclosure () -> ServiceContext, ofKind kind: SpanKind,
        at instant: @autoclosure () -> Instant, function: String, file fileID: String, line: UInt
    ) -> W3CSpan {
        var context = context()
        context.spanIdentity = SpanIdentity(childOf: context.spanIdentity)
        return W3CSpan(context: context, operationName: operationName)
    }

    public func forceFlush() {}

    public func extract<Carrier, Extract: Extractor>(
        _ carrier: Carrier, into context: inout ServiceContext, using extractor: Extract
    ) where Extract.Carrier == Carrier {
        guard let header = extractor.extract(key: "traceparent", from: carrier),
            let identity = SpanIdentity(traceparent: header)
        else { return }
        context.spanIdentity = identity
    }

    public func inject<Carrier, Inject: Injector>(
        _ context: ServiceContext, into carrier: inout Carrier, using injector: Inject
    ) where Inject.Carrier == Carrier {
        guard let identity = context.spanIdentity else { return }
        injector.inject(identity.traceparent, forKey: "traceparent", into: &carrier)
    }
}

/// A span of `W3CTracer`: its context carries the span's identity; attributes, events, links and status
/// are not kept, since nothing exports them.
public struct W3CSpan: Span {
    public let context: ServiceContext
    private let name: Name

    init(context: ServiceContext, operationName: String) {
        self.context = context
        name = Name(operationName)
    }

    public var operationName: String {
        get { name.value.withLock { $0 } }
        nonmutating set { name.value.withLock { $0 = newValue } }
    }

    private final class Name: Sendable {
        let value: Mutex<String>
        init(_ value: String) { self.value = Mutex(value) }
    }

    public var attributes: SpanAttributes {
        get { [:] }
        nonmutating set {}
    }

    public var isRecording: Bool { false }
    public func setStatus(_ status: SpanStatus) {}
    public func addEvent(_ event: SpanEvent) {}
    public func recordError<Instant: TracerInstant>(
        _ error: any Error, attributes: SpanAttributes, at instant: @autoclosure () -> Instant
    ) {}
    public func addLink(_ link: SpanLink) {}
    public func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) {}
}

extension Logger.MetadataProvider {
    /// `trace=<trace id>` on every log line written while a task works inside a traced span (an HTTP
    /// request at the gateway, a Wire request or an event in a service), whichever logger writes it.
    public static let traceId = Logger.MetadataProvider {
        guard let identity = ServiceContext.current?.spanIdentity else { return [:] }
        return ["trace": "\(identity.traceId)"]
    }
}
