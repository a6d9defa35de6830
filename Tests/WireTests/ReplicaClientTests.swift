import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing
import WireTesting

@testable import Wire

/// A client of a service that runs as several replicas: calls go round them and move off one that is
/// down, refuses the handshake or is going away.
@Suite struct ReplicaClientTests {
    /// A router whose `numbers` answers with `replica` and counts its calls (naps count under -1).
    static func router(_ replica: Int, _ calls: NIOLockedValueBox<[Int: Int]>) -> WireRouter {
        var router = WireRouter()
        router.register(TestMethods.numbers) { _, _ in
            calls.withLockedValue { $0[replica, default: 0] += 1 }
            return replica
        }
        router.register(TestMethods.nap) { request, _ in
            calls.withLockedValue { $0[-1, default: 0] += 1 }
            try await Task.sleep(for: .milliseconds(request.milliseconds))
            return Empty()
        }
        return router
    }

    /// A loopback port nothing listens on: a privileged one no test binds (a port bound and closed could
    /// be taken by another test's server running at the same time).
    static func deadEndpoint(_ port: Int = 1) -> WireEndpoint { WireEndpoint(host: "127.0.0.1", port: port) }

    static func withTwoReplicas(
        _ body: (WireHarness, WireHarness, NIOLockedValueBox<[Int: Int]>) async throws -> Void
    ) async throws {
        let calls = NIOLockedValueBox<[Int: Int]>([:])
        try await withWireServer(service: "test", router: router(0, calls)) { first in
            try await withWireServer(service: "test", router: router(1, calls)) { second in
                try await body(first, second, calls)
            }
        }
    }

    @Test func callsGoRoundTheReplicas() async throws {
        try await Self.withTwoReplicas { first, second, calls in
            let client = WireClient(
                endpoints: [first.endpoint, second.endpoint], service: "test", secret: WireHarness.secret)
            var answers: Set<Int> = []
            for _ in 0..<20 { answers.insert(try await client.call(TestMethods.numbers, [1])) }
            #expect(answers == [0, 1])
            #expect(calls.withLockedValue { $0 } == [0: 10, 1: 10])
            await client.close()
        }
    }

    @Test func aReplicaThatIsDownIsPassedOverAndTriedAgainLater() async throws {
        let calls = NIOLockedValueBox<[Int: Int]>([:])
        let dead = Self.deadEndpoint()
        try await withWireServer(service: "test", router: Self.router(1, calls)) { live in
            let client = WireClient(
                endpoints: [dead, live.endpoint], service: "test", secret: WireHarness.secret,
                connectTimeout: .seconds(2))
            // Every call is answered: the one that meets the dead address moves on at once.
            for _ in 0..<20 {
                let answer = try await client.call(TestMethods.numbers, [1])
                #expect(answer == 1)
            }
            #expect(calls.withLockedValue { $0[1] } == 20)
            await client.close()
        }
        // With no replica up, the call says so.
        let client = WireClient(
            endpoints: [dead, Self.deadEndpoint(2)], service: "test", secret: WireHarness.secret)
        let down = await #expect(throws: WireError.self) { try await client.call(TestMethods.numbers, [1]) }
        #expect(down?.code == .unavailable)
        await client.close()
    }

    @Test func aReplicaThatRefusesTheHandshakeIsPassedOver() async throws {
        let calls = NIOLockedValueBox<[Int: Int]>([:])
        try await withWireServer(
            service: "test", router: Self.router(0, calls),
            secret: ClusterSecret(bytes: Array(repeating: 9, count: 32))
        ) { stranger in
            try await withWireServer(service: "test", router: Self.router(1, calls)) { live in
                let client = WireClient(
                    endpoints: [stranger.endpoint, live.endpoint], service: "test", secret: WireHarness.secret)
                for _ in 0..<10 {
                    let answer = try await client.call(TestMethods.numbers, [1])
                    #expect(answer == 1)
                }
                #expect(calls.withLockedValue { $0 } == [1: 10])
                await client.close()
            }
        }
    }

    @Test func aReplicaGoingAwayHandsNewCallsToTheOthersAndFinishesItsOwn() async throws {
        try await Self.withTwoReplicas { first, second, calls in
            let client = WireClient(
                endpoints: [first.endpoint, second.endpoint], service: "test", secret: WireHarness.secret,
                poolSize: 1)
            // A connection to each replica, and a call in flight on the first.
            for _ in 0..<4 { _ = try await client.call(TestMethods.numbers, [1]) }
            let napper = WireClient(endpoint: first.endpoint, service: "test", secret: WireHarness.secret)
            let inFlight = Task { try await napper.call(TestMethods.nap, Nap(milliseconds: 1_000)) }
            try await waitFor { calls.withLockedValue { $0[-1] } == 1 }
            first.server.shutDownGracefully()
            // The drain has begun once the first replica refuses new work on a connection it keeps open.
            while (try? await napper.call(TestMethods.numbers, [1])) != nil {
                try await Task.sleep(for: .milliseconds(5))
            }
            calls.withLockedValue { $0 = [:] }
            // New calls go to the second replica. One sent on the first's connection in the instant
            // between the server closing it and the client reading its GOAWAY fails as unavailable (the
            // client cannot tell it from a call the server was running); none reach the first replica.
            var failures = 0
            for _ in 0..<20 {
                do {
                    let answer = try await client.call(TestMethods.numbers, [1])
                    #expect(answer == 1)
                } catch let error as WireError {
                    #expect(error.code == .unavailable)
                    failures += 1
                }
            }
            #expect(failures <= 1)
            #expect(calls.withLockedValue { $0[0] } == nil)
            #expect(calls.withLockedValue { $0[1] } == 20 - failures)
            _ = try await inFlight.value
            await client.close()
            await napper.close()
        }
    }
}
