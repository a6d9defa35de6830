import NIOCore
import Testing
import WireTesting

@testable import Wire

@Suite struct TransportTests {
    @Test func unaryCallsRoundTrip() async throws {
        _ = try await withWireServer(service: "test", router: testRouter()) { harness in
            let client = harness.client()
            let big = [UInt8](repeating: 0xab, count: 3 << 20)
            let reply = try await client.call(TestMethods.echo, Echo(text: "hi", payload: big))
            #expect(reply == Echo(text: "hi", payload: big))
            let result1 = try await client.call(TestMethods.numbers, [1, 2, 3])
            #expect(result1 == 6)
            try await client.ping()
        }
    }

    @Test func handlerErrorsArriveWithTheirCode() async throws {
        _ = try await withWireServer(service: "test", router: testRouter()) { harness in
            await #expect(throws: WireError(.notFound, "No such thing")) {
                try await harness.client().call(TestMethods.fail, Empty())
            }
        }
    }

    @Test func unknownMethodIsUnimplemented() async throws {
        _ = try await withWireServer(service: "test", router: testRouter()) { harness in
            let client = harness.client()
            let error = await #expect(throws: WireError.self) { try await client.call(TestMethods.missing, Empty()) }
            #expect(error?.code == .unimplemented)
            // The connection is still good.
            let result2 = try await client.call(TestMethods.numbers, [4])
            #expect(result2 == 4)
        }
    }

    @Test func undecodableBodiesAreInvalidArgument() async throws {
        _ = try await withWireServer(service: "test", router: testRouter()) { harness in
            let client = harness.client()
            let mismatch = await #expect(throws: WireError.self) {
                try await client.call(TestMethods.echoMismatch, Nap(milliseconds: 1))
            }
            #expect(mismatch?.code == .invalidArgument)
            // A depth bomb: 200 nested messages.
            let bomb = try WireEncoder(maxDepth: 1000).encode(Chain.depth(200))
            let deep = await #expect(throws: WireError.self) {
                try await client.rawCall(methodID: TestMethods.chain.id, body: bomb)
            }
            #expect(deep?.code == .invalidArgument)
            // An array that claims 2^40 elements in six bytes.
            let lie: [UInt8] = [0x06, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20]
            let count = await #expect(throws: WireError.self) {
                try await client.rawCall(methodID: TestMethods.numbers.id, body: lie)
            }
            #expect(count?.code == .invalidArgument)
            let result3 = try await client.call(TestMethods.numbers, [1, 1])
            #expect(result3 == 2)
        }
    }

    @Test func malformedRequestHeadersAreAnsweredAndTheConnectionServesOn() async throws {
        _ = try await withWireServer(service: "test", router: testRouter()) { harness in
            let client = harness.client(poolSize: 1)
            _ = try await client.call(TestMethods.numbers, [1])
            let headers: [(String, [UInt8])] = [
                ("truncated varint", [0x80]),
                ("no timeout", [0x05]),
                ("trace longer than the payload", [0x05, 0x00, 0x09, 0x61]),
                (
                    "over 64 KiB, claiming a 200,000-byte trace",
                    [0x06, 0x00, 0xc0, 0x9a, 0x0c] + [UInt8](repeating: 0, count: 100_000)
                ),
            ]
            for (name, payload) in headers {
                let error = await #expect(throws: WireError.self, "\(name)") {
                    try await client.rawRequest(payload: payload)
                }
                #expect(error == WireError(.protocolViolation, "Malformed REQUEST header"), "\(name)")
            }
            // Both kinds of handler still answer on the same connection.
            #expect(try await client.call(TestMethods.numbers, [2, 3]) == 5)
            let placement = try await client.call(TestMethods.placement, Echo(text: "", payload: []))
            #expect(placement.onEventLoop)
        }
    }

    @Test func wrongSecretIsRefused() async throws {
        _ = try await withWireServer(service: "test", router: testRouter()) { harness in
            let intruder = harness.client(secret: ClusterSecret(bytes: Array(repeating: 1, count: 32)))
            let error = await #expect(throws: WireError.self) { try await intruder.call(TestMethods.numbers, [1]) }
            #expect(error?.code == .unauthenticated)
            let lost = harness.client(service: "other")
            let wrongService = await #expect(throws: WireError.self) { try await lost.call(TestMethods.numbers, [1]) }
            #expect(wrongService?.code == .unavailable)
            let result4 = try await harness.client().call(TestMethods.numbers, [2])
            #expect(result4 == 2)
        }
    }

    @Test(arguments: [
        ("truncated frame", rawFrame(1, payload: [1, 2, 3]).dropLast(2).map { $0 }),
        ("over the size limit", [0x00, 0x10, 0x00, 0x01] + [UInt8](repeating: 0, count: 16)),
        ("length 0xFFFFFFFF", [0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0, 0, 0]),
        ("garbage instead of HELLO", Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)),
        ("REQUEST before the handshake", rawFrame(3, id: 1, payload: [1, 0, 0])),
        ("event-loop REQUEST before the handshake", rawFrame(3, id: 1, payload: [6, 0, 0])),
        ("unknown frame type", rawFrame(42)),
        ("length shorter than the header", [0, 0, 0, 2, 1, 0]),
    ])
    func badBytesCloseOnlyThatConnection(name: String, bytes: [UInt8]) async throws {
        // A truncated frame leaves the server waiting for the rest: the handshake timeout ends that wait.
        let configure: (inout WireServerConfiguration) -> Void = {
            $0.maxFrameSize = 1 << 20
            $0.handshakeTimeout = .seconds(5)
        }
        _ = try await withWireServer(service: "test", router: testRouter(), configure: configure) { harness in
            let client = harness.client()
            let result5 = try await client.call(TestMethods.numbers, [1])
            #expect(result5 == 1)
            let raw = try await harness.rawConnection()
            let outcome = try await raw.send(bytes, thenReadFor: .seconds(30), halfClose: name == "truncated frame")
            #expect(outcome.closedByServer, "\(name): server should close the connection")
            // Its connection is gone from the server; only the good client's remains.
            try await waitFor { harness.server.connectionCount == 1 }
            // Everyone else is still served, on the same connection as before.
            let result6 = try await client.call(TestMethods.numbers, [2, 3])
            #expect(result6 == 5)
        }
    }

    /// The handshake carries the contracts' version; a HELLO from a peer older than that field (fields
    /// 1–4 only) is still answered, and the answer names this side's version.
    @Test func theHandshakeCarriesTheContractsVersionAndOlderPeersStillConnect() async throws {
        struct OldHello: Codable {
            var minVersion: UInt32
            var maxVersion: UInt32
            var service: String
            var nonce: [UInt8]
            enum CodingKeys: Int, CodingKey { case minVersion = 1, maxVersion, service, nonce }
        }
        // (The harness registers the contracts, which announces their version.)
        _ = try await withWireServer(service: "test", router: testRouter()) { harness in
            let body = try WireEncoder().encode(
                OldHello(minVersion: 1, maxVersion: 1, service: "test", nonce: Array(repeating: 1, count: 32)))
            let length = UInt32(6 + body.count)
            let frame =
                withUnsafeBytes(of: length.bigEndian) { Array($0) } + [FrameType.hello.rawValue, 0, 0, 0, 0, 0] + body
            let raw = try await harness.rawConnection()
            let outcome = try await raw.send(frame, thenReadFor: .milliseconds(500))
            #expect(outcome.received.count > 10 && outcome.received[4] == FrameType.helloAck.rawValue)
            let ack = try WireDecoder().decode(HelloAck.self, from: Array(outcome.received[10...]))
            #expect(ack.contracts != nil && ack.contracts == WireContracts.announced && ack.service == "test")
            // And a client of today announces its own, which the server reads (the call goes through).
            #expect(try await harness.client().call(TestMethods.numbers, [1]) == 1)
        }
    }

    @Test func silentPeerIsDroppedAfterTheHandshakeTimeout() async throws {
        _ = try await withWireServer(
            service: "test", router: testRouter(), configure: { $0.handshakeTimeout = .milliseconds(200) }
        ) { harness in
            let raw = try await harness.rawConnection()
            let outcome = try await raw.send([], thenReadFor: .seconds(5))
            #expect(outcome.closedByServer)
        }
    }

    @Test func deadlinesAreEnforcedOnBothSides() async throws {
        let observations = Observations()
        _ = try await withWireServer(service: "test", router: testRouter(observations)) { harness in
            let client = harness.client(poolSize: 1)
            // Connected first, so that the deadline covers the call only, not a handshake on a busy machine.
            _ = try await client.call(TestMethods.numbers, [1])
            let call = Task { try await client.call(TestMethods.nap, Nap(milliseconds: 30_000), timeout: .seconds(5)) }
            // The handler is running (a server that only got to the request after its deadline would rightly
            // refuse to start it, and there would be nothing to cancel).
            try await waitFor { observations.started.withLockedValue { $0 } == 1 }
            let error = await #expect(throws: WireError.self) { try await call.value }
            #expect(error?.code == .deadlineExceeded)
            try await waitFor { observations.cancelled.withLockedValue { $0 } == 1 }
        }
    }

    @Test func eachCallOnAConnectionKeepsItsOwnDeadline() async throws {
        let observations = Observations()
        _ = try await withWireServer(service: "test", router: testRouter(observations)) { harness in
            let client = harness.client(poolSize: 1)
            _ = try await client.call(TestMethods.numbers, [1])
            let clock = ContinuousClock()
            let start = clock.now
            // The connection's deadline timer is first set for the quick call, which answers long before;
            // when it fires it must move on to the slow call's later deadline, not forget it.
            // Deadlines far enough apart that a loaded machine still answers the quick call in time.
            async let quick: Empty = client.call(TestMethods.nap, Nap(milliseconds: 10), timeout: .seconds(8))
            let slow = Task {
                try await client.call(TestMethods.nap, Nap(milliseconds: 60_000), timeout: .seconds(10))
            }
            async let none: Empty = client.call(TestMethods.nap, Nap(milliseconds: 200), timeout: nil)
            _ = try await quick
            _ = try await none
            let error = await #expect(throws: WireError.self) { _ = try await slow.value }
            #expect(error?.code == .deadlineExceeded)
            #expect(clock.now - start >= .seconds(10))
            try await waitFor { observations.cancelled.withLockedValue { $0 } == 1 }
        }
    }

    @Test func cancellingTheCallerSendsCancel() async throws {
        let observations = Observations()
        _ = try await withWireServer(service: "test", router: testRouter(observations)) { harness in
            let client = harness.client()
            let call = Task { try await client.call(TestMethods.nap, Nap(milliseconds: 10_000), timeout: nil) }
            try await waitFor { observations.started.withLockedValue { $0 } == 1 }
            call.cancel()
            let error = await #expect(throws: WireError.self) { try await call.value }
            #expect(error?.code == .cancelled)
            try await waitFor { observations.cancelled.withLockedValue { $0 } == 1 }
        }
    }

    @Test func clientThatDisconnectsMidRequestCancelsItsWork() async throws {
        let observations = Observations()
        _ = try await withWireServer(service: "test", router: testRouter(observations)) { harness in
            let leaving = harness.client()
            let call = Task { try await leaving.call(TestMethods.nap, Nap(milliseconds: 10_000), timeout: nil) }
            try await waitFor { observations.started.withLockedValue { $0 } == 1 }
            await leaving.close()
            await #expect(throws: WireError.self) { try await call.value }
            try await waitFor { observations.cancelled.withLockedValue { $0 } == 1 }
            let result7 = try await harness.client().call(TestMethods.numbers, [7])
            #expect(result7 == 7)
        }
    }

    @Test func tenThousandRequestsInFlightOnOneConnection() async throws {
        _ = try await withWireServer(
            service: "test", router: testRouter(), configure: { $0.maxInFlightPerConnection = 256 }
        ) { harness in
            let client = harness.client(poolSize: 1)
            let total = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<10_000 {
                    group.addTask { try await client.call(TestMethods.numbers, [index, 1], timeout: .seconds(120)) }
                }
                return try await group.reduce(0, +)
            }
            #expect(total == (0..<10_000).reduce(0, +) + 10_000)
            await client.close()
            try await waitFor { harness.server.connectionCount == 0 }
        }
    }

    @Test func eventLoopHandlersAnswerInPlace() async throws {
        _ = try await withWireServer(service: "test", router: testRouter()) { harness in
            let client = harness.client(poolSize: 1)
            // Requests that arrive before the reader has opened the connection's gate go to a task; after
            // one answer it is open.
            _ = try await client.call(TestMethods.numbers, [1])
            let small = try await client.call(TestMethods.placement, Echo(text: "hi", payload: []), trace: "t-1")
            #expect(small == Placement(onEventLoop: true, trace: "t-1"))
            // Over 64 KiB the same handler runs in a task, so that decoding it does not hold up the loop.
            let big = try await client.call(
                TestMethods.placement, Echo(text: "", payload: [UInt8](repeating: 1, count: 100_000)), trace: "t-2")
            #expect(big == Placement(onEventLoop: false, trace: "t-2"))

            await #expect(throws: WireError(.notFound, "Nothing on the loop")) {
                try await client.call(TestMethods.failOnLoop, Nap(milliseconds: 0))
            }
            let other = await #expect(throws: WireError.self) {
                try await client.call(TestMethods.failOnLoop, Nap(milliseconds: 1))
            }
            #expect(other?.code == .internal)
            let garbage = await #expect(throws: WireError.self) {
                try await client.rawCall(methodID: TestMethods.placement.id, body: [0xff, 0xff, 0xff])
            }
            #expect(garbage?.code == .invalidArgument)

            // Many at once on the one connection, interleaved with calls that run in tasks, each answer to its call.
            let answered = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<2_000 {
                    group.addTask {
                        guard index.isMultiple(of: 2) else {
                            return try await client.call(TestMethods.numbers, [1], timeout: .seconds(120))
                        }
                        let trace = "t\(index)"
                        let placement = try await client.call(
                            TestMethods.placement, Echo(text: "", payload: []), timeout: .seconds(120), trace: trace)
                        return placement.trace == trace ? 1 : 0
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(answered == 2_000)
        }
    }

    @Test func responsesComeBackOutOfOrder() async throws {
        let observations = Observations()
        _ = try await withWireServer(service: "test", router: testRouter(observations)) { harness in
            let client = harness.client(poolSize: 1)
            let slow = Task { try await client.call(TestMethods.nap, Nap(milliseconds: 30_000), timeout: nil) }
            try await waitFor { observations.started.withLockedValue { $0 } == 1 }
            // The quick call is answered on the shared connection while the slow one still runs.
            let quick = try await client.call(TestMethods.numbers, [1])
            #expect(quick == 1)
            #expect(observations.cancelled.withLockedValue { $0 } == 0)
            slow.cancel()
            _ = await slow.result
            try await waitFor { observations.cancelled.withLockedValue { $0 } == 1 }
        }
    }

    @Test func goAwayLetsInFlightRequestsFinish() async throws {
        let observations = Observations()
        _ = try await withWireServer(service: "test", router: testRouter(observations)) { harness in
            let client = harness.client()
            async let inFlight: Empty = client.call(TestMethods.nap, Nap(milliseconds: 300))
            try await waitFor { observations.started.withLockedValue { $0 } == 1 }
            harness.server.shutDownGracefully()
            _ = try await inFlight
            #expect(observations.cancelled.withLockedValue { $0 } == 0)
            let after = await #expect(throws: WireError.self) { try await client.call(TestMethods.numbers, [1]) }
            #expect(after?.code == .unavailable)
        }
    }

    @Test func clientReconnectsAfterThePeerRestarts() async throws {
        let client = try await withWireServer(service: "test", router: testRouter()) { harness in
            // One pooled connection, so the failing call below is the one that finds the old connection
            // gone; with two, the next call could still pick the second slot's stale connection before
            // its close was read (that call fails with unavailable, as the first one here does).
            let client = WireClient(
                endpoint: harness.endpoint, service: "test", secret: WireHarness.secret, poolSize: 1)
            let result8 = try await client.call(TestMethods.numbers, [1])
            #expect(result8 == 1)
            return client
        }
        // The old server is gone: calls fail fast with unavailable.
        let down = await #expect(throws: WireError.self) { try await client.call(TestMethods.numbers, [1]) }
        #expect(down?.code == .unavailable)
        _ = try await withWireServer(
            service: "test", router: testRouter(), configure: { $0.port = client.endpoint.port }
        ) { _ in
            let result9 = try await client.call(TestMethods.numbers, [5])
            #expect(result9 == 5)
        }
        await client.close()
    }
}

/// Polls `condition` for up to 30 seconds (generous: the whole suite shares two cores).
func waitFor(_ condition: @Sendable () -> Bool) async throws {
    let clock = ContinuousClock()
    let until = clock.now.advanced(by: .seconds(30))
    while !condition() {
        guard clock.now < until else {
            Issue.record("Condition not met within 30 s")
            return
        }
        try await Task.sleep(for: .milliseconds(10))
    }
}
