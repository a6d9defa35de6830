import Tracing

/// How a trace crosses Wire. The REQUEST header's trace field carries the caller's trace context as the
/// process's instrument writes it (`traceparent`, with Clearsky's `W3CTracer`), and its deadline field what
/// is left of the caller's deadline; the server restores both into `ServiceContext.current` around the
/// handler, so calls the handler makes inherit them without being passed by hand.
public enum WireTrace {
    /// The current task's trace context as a trace field; empty outside a trace or without an instrument.
    public static var current: String {
        guard let context = ServiceContext.current else { return "" }
        var field = ""
        InstrumentationSystem.instrument.inject(context, into: &field, using: FieldInjector())
        return field
    }

    /// When the request being served stops waiting (its caller's deadline), if it gave one.
    public static var deadline: ContinuousClock.Instant? { ServiceContext.current?.wireDeadline }

    /// A context holding what a trace field (and a deadline) carried: what a server or an event
    /// consumer runs its work in.
    public static func context(trace: String, deadline: ContinuousClock.Instant? = nil) -> ServiceContext {
        var context = ServiceContext.topLevel
        if !trace.isEmpty { InstrumentationSystem.instrument.extract(trace, into: &context, using: FieldExtractor()) }
        context.wireDeadline = deadline
        return context
    }

    /// Runs `work` in a span named `operation` inside what a trace field (and a deadline) carried: how a
    /// server runs a request's handler and a consumer handles an event, so that the calls they make carry
    /// the trace on and wait no longer than the deadline.
    public static func run<T>(
        _ operation: String, ofKind kind: SpanKind, trace: String, deadline: ContinuousClock.Instant? = nil,
        _ work: () async throws -> T
    ) async throws -> T {
        try await ServiceContext.$current.withValue(context(trace: trace, deadline: deadline)) {
            try await withSpan(operation, ofKind: kind) { _ in try await work() }
        }
    }

    /// The trace field holds one header's value: `traceparent`.
    static let key = "traceparent"

    struct FieldInjector: Injector {
        func inject(_ value: String, forKey key: String, into carrier: inout String) {
            if key == WireTrace.key { carrier = value }
        }
    }

    struct FieldExtractor: Extractor {
        func extract(key: String, from carrier: String) -> String? { key == WireTrace.key ? carrier : nil }
    }
}

extension ServiceContext {
    /// When the request being served stops waiting: calls made inside it wait at most until then.
    public var wireDeadline: ContinuousClock.Instant? {
        get { self[WireDeadlineKey.self] }
        set { self[WireDeadlineKey.self] = newValue }
    }
}

private enum WireDeadlineKey: ServiceContextKey {
    typealias Value = ContinuousClock.Instant
}
