import Contracts
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing
import Wire

@testable import Gateway

/// A gateway deadline reaches every hop: `POST /v1/process` calls ProcessSvc (first hop), which asks
/// StoreSvc for the image's bytes (second hop). When the gateway's deadline passes, the answer is 504 and
/// StoreSvc's work, two hops down, is cancelled, having been given no more time than the gateway had.
@Suite struct DeadlineTests {
    final class Probe: Sendable {
        struct Seen { var started = 0, cancelled = 0, left: Duration? }
        let seen = Mutex(Seen())
    }

    @Test func aGatewayDeadlineCancelsTheWorkTwoHopsDown() async throws {
        let probe = Probe()
        try await ClusterHarness.run(
            workers: false, adjustGateway: { $0.processTimeout = .seconds(1) },
            adjustStore: { router in
                // StoreSvc's `content` takes half a minute, unless cancelled.
                router.register(StoreContract.content) { _, context -> ImageContent in
                    probe.seen.withLock { seen in
                        seen.started += 1
                        seen.left = context.deadline.map { $0 - .now }
                    }
                    do {
                        try await Task.sleep(for: .seconds(30))
                    } catch {
                        probe.seen.withLock { $0.cancelled += 1 }
                        throw error
                    }
                    throw WireError(.internal, "not cancelled")
                }
            }
        ) { cluster in
            let token = try await cluster.user("patient")
            let started = ContinuousClock.now
            let response = try await cluster.json(
                .post, "/v1/process", ["imageId": "img_0123456789abcdef0123", "ops": [["op": "dehaze"]]],
                token: token)
            #expect(response.status == .gatewayTimeout, "\(String(buffer: response.body))")
            #expect(ContinuousClock.now - started < .seconds(10))
            var seen = probe.seen.withLock { $0 }
            let until = ContinuousClock.now + .seconds(10)
            while seen.cancelled == 0, ContinuousClock.now < until {
                try await Task.sleep(for: .milliseconds(10))
                seen = probe.seen.withLock { $0 }
            }
            #expect(seen.started == 1 && seen.cancelled == 1)
            // StoreSvc's own call had a 30 s default; it got what was left of the gateway's second.
            let left = try #require(seen.left)
            #expect(left > .zero && left <= .seconds(1), "\(left)")
        }
    }
}
