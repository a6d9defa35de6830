import Foundation
import NIOConcurrencyHelpers
import Testing
import TraceContext
import Tracing
import WireTesting

@testable import Wire

/// A call made while a request is served inherits that request's trace context and what is left of its
/// deadline, hop after hop: a caller's deadline cancels the work two servers down.
@Suite struct PropagationTests {
    init() { W3CTracer.bootstrap() }

    struct Seen: Codable, Sendable, Equatable {
        var trace: String
        /// What was left of the deadline when the handler ran; -1 for none.
        var remainingMilliseconds: Int
        enum CodingKeys: Int, CodingKey { case trace = 1, remainingMilliseconds }
    }

    enum Methods {
        static let seen = Method<Empty, Seen>(id: 20, name: "test.seen")
        static let slow = Method<Empty, Empty>(id: 21, name: "test.slow")
        static let relaySeen = Method<Empty, Seen>(id: 22, name: "test.relaySeen")
        static let relaySlow = Method<Empty, Empty>(id: 23, name: "test.relaySlow")
    }

    static let trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    /// Runs `body` with a client of "up", whose handlers call "down".
    func withTwoHops(_ cancelled: NIOLockedValueBox<Int>, _ body: (WireClient) async throws -> Void) async throws {
        var down = WireRouter()
        down.register(Methods.seen) { _, context in
            // The handler runs in a server span of the caller's trace.
            let current = ServiceContext.current?.spanIdentity
            #expect(current?.traceId == SpanIdentity(traceparent: context.trace)?.traceId)
            let left = context.deadline.map { Int(($0 - .now) / .milliseconds(1)) } ?? -1
            return Seen(trace: context.trace, remainingMilliseconds: left)
        }
        down.register(Methods.slow) { _, _ in
            do {
                try await Task.sleep(for: .seconds(10))
            } catch {
                cancelled.withLockedValue { $0 += 1 }
                throw error
            }
            return Empty()
        }
        try await withWireServer(service: "down", router: down) { downstream in
            let next = downstream.client()
            var up = WireRouter()
            up.register(Methods.relaySeen) { _, _ in try await next.call(Methods.seen, Empty()) }
            up.register(Methods.relaySlow) { _, _ in try await next.call(Methods.slow, Empty()) }
            try await withWireServer(service: "up", router: up) { upstream in try await body(upstream.client()) }
        }
    }

    @Test func theTraceAndTheDeadlineCrossTwoHops() async throws {
        try await withTwoHops(NIOLockedValueBox(0)) { client in
            // Both hops connected first: on a busy machine handshakes can take seconds.
            _ = try await client.call(Methods.relaySeen, Empty())
            let seen = try await client.call(Methods.relaySeen, Empty(), timeout: .seconds(10), trace: Self.trace)
            // Same trace; the parent is the first hop's server span, not the caller's span.
            let original = try #require(SpanIdentity(traceparent: Self.trace))
            let second = try #require(SpanIdentity(traceparent: seen.trace), "\(seen)")
            #expect(second.traceId == original.traceId && second.spanId != original.spanId && second.sampled)
            // The second hop's own default is 30 s; it got what was left of the first call's 10 s.
            #expect(seen.remainingMilliseconds > 0 && seen.remainingMilliseconds <= 10_000, "\(seen)")
            // Without a deadline upstream, the hop keeps its own timeout; without a trace, the first hop
            // starts one.
            let plain = try await client.call(Methods.relaySeen, Empty(), timeout: nil)
            #expect(plain.remainingMilliseconds > 10_000, "\(plain)")
            let started = try #require(SpanIdentity(traceparent: plain.trace), "\(plain)")
            #expect(started.traceId != original.traceId && !started.sampled)
        }
    }

    @Test func aCallersDeadlineCancelsTheWorkTwoHopsDown() async throws {
        let cancelled = NIOLockedValueBox(0)
        try await withTwoHops(cancelled) { client in
            // Both hops connected first, so that the deadline covers the call, not handshakes on a busy machine
            // (a server that gets a request after its deadline rightly never starts it).
            _ = try await client.call(Methods.relaySeen, Empty())
            let started = ContinuousClock.now
            await #expect(throws: WireError.self) {
                try await client.call(Methods.relaySlow, Empty(), timeout: .seconds(1))
            }
            #expect(ContinuousClock.now - started < .seconds(5))
            // The second hop's call ran out with the first one's deadline and cancelled its handler.
            let until = ContinuousClock.now + .seconds(10)
            while cancelled.withLockedValue({ $0 }) == 0, ContinuousClock.now < until {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(cancelled.withLockedValue { $0 } == 1)
        }
    }

    @Test func aRequestWhoseDeadlineHasPassedSendsNothingMore() async throws {
        try await withTwoHops(NIOLockedValueBox(0)) { client in
            let context = WireTrace.context(trace: Self.trace, deadline: .now - .milliseconds(1))
            let error = await #expect(throws: WireError.self) {
                try await ServiceContext.$current.withValue(context) {
                    try await client.call(Methods.relaySeen, Empty())
                }
            }
            #expect(error?.code == .deadlineExceeded)
        }
    }
}

/// W3C `traceparent` parsing: what is refused, what a child keeps.
@Suite struct SpanIdentityTests {
    @Test func validHeadersParseAndWriteBack() throws {
        let header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        let identity = try #require(SpanIdentity(traceparent: header))
        #expect(identity.traceparent == header && identity.sampled)
        let child = SpanIdentity(childOf: identity)
        #expect(child.traceId == identity.traceId && child.spanId != identity.spanId && child.sampled)
        let root = SpanIdentity(childOf: nil)
        #expect(SpanIdentity(traceparent: root.traceparent) == root)
    }

    @Test(arguments: [
        "", "00", "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-zz",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-+1",
    ])
    func malformedHeadersAreRefused(_ header: String) {
        #expect(SpanIdentity(traceparent: header) == nil)
    }
}
