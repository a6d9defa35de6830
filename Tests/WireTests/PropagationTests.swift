import Foundation
import NIOConcurrencyHelpers
import Testing
import WireTesting

@testable import Wire

/// A call made while a request is served inherits that request's trace and what is left of its
/// deadline, hop after hop: a caller's deadline cancels the work two servers down.
@Suite struct PropagationTests {
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
            let current = WireContext.current
            #expect(current?.trace == context.trace)
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
            let seen = try await client.call(Methods.relaySeen, Empty(), timeout: .seconds(2), trace: Self.trace)
            #expect(seen.trace == Self.trace)
            // The second hop's own default is 30 s; it got what was left of the first call's 2 s.
            #expect(seen.remainingMilliseconds > 0 && seen.remainingMilliseconds <= 2_000, "\(seen)")
            // Without a deadline upstream, the hop keeps its own timeout and no trace appears.
            let plain = try await client.call(Methods.relaySeen, Empty(), timeout: nil)
            #expect(plain.trace.isEmpty && plain.remainingMilliseconds > 2_000, "\(plain)")
        }
    }

    @Test func aCallersDeadlineCancelsTheWorkTwoHopsDown() async throws {
        let cancelled = NIOLockedValueBox(0)
        try await withTwoHops(cancelled) { client in
            let started = ContinuousClock.now
            await #expect(throws: WireError.self) {
                try await client.call(Methods.relaySlow, Empty(), timeout: .milliseconds(300))
            }
            #expect(ContinuousClock.now - started < .seconds(5))
            // The second hop's call ran out with the first one's deadline and cancelled its handler.
            let until = ContinuousClock.now + .seconds(5)
            while cancelled.withLockedValue({ $0 }) == 0, ContinuousClock.now < until {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(cancelled.withLockedValue { $0 } == 1)
        }
    }

    @Test func aRequestWhoseDeadlineHasPassedSendsNothingMore() async throws {
        try await withTwoHops(NIOLockedValueBox(0)) { client in
            let context = WireContext(deadline: .now - .milliseconds(1), trace: Self.trace, logger: .init(label: "t"))
            let error = await #expect(throws: WireError.self) {
                try await WireContext.$current.withValue(context) { try await client.call(Methods.relaySeen, Empty()) }
            }
            #expect(error?.code == .deadlineExceeded)
        }
    }
}
