import Foundation
import Testing
import WireTesting

@testable import Wire

/// Before a peer has proved the cluster secret it may send only the handshake's two small HELLO frames,
/// and connections are capped in all and per peer address, so an unauthenticated peer cannot make the
/// server hold large buffers or many sockets (issue 25).
@Suite struct AdmissionTests {
    @Test func aLargeFrameBeforeAuthenticationClosesAtItsHeader() async throws {
        // 4 KiB + 1 is far below the 64 MiB limit that applies after the handshake. Only the header is
        // sent: the server must not wait (20 s of handshake timeout) for a body it would refuse anyway, so
        // the close arrives within the 10 s this reads for (no bound on time itself: CI's load varies).
        _ = try await withWireServer(service: "test", router: testRouter()) { harness in
            for type in [FrameType.hello, .request] {
                let header = Array(rawFrame(type.rawValue).prefix(10))
                var bytes = header
                bytes.replaceSubrange(0..<4, with: withUnsafeBytes(of: UInt32(4097).bigEndian) { Array($0) })
                let outcome = try await harness.rawConnection().send(bytes, thenReadFor: .seconds(10))
                #expect(outcome.closedByServer, "\(type)")
            }
            // Authenticated clients still send large frames.
            let big = [Int](repeating: 1, count: 200_000)
            #expect(try await harness.client().call(TestMethods.numbers, big) == 200_000)
        }
    }

    @Test func connectionsPerPeerAreCappedBeforeTheHandshake() async throws {
        let configure: (inout WireServerConfiguration) -> Void = { $0.maxConnectionsPerPeer = 3 }
        _ = try await withWireServer(service: "test", router: testRouter(), configure: configure) { harness in
            let client = harness.client(poolSize: 1)
            #expect(try await client.call(TestMethods.numbers, [1]) == 1)
            // Two silent peers take the other two places (they would wait out the handshake timeout).
            let silent = [try await harness.rawConnection(), try await harness.rawConnection()]
            let held = silent.map { raw in Task { try await raw.send([], thenReadFor: .seconds(20)) } }
            try await waitFor { harness.server.connectionCount == 3 }
            // A fourth is closed as it is accepted, and the authenticated client is still served.
            let refused = try await harness.rawConnection().send([], thenReadFor: .seconds(10))
            #expect(refused.closedByServer && refused.received.isEmpty)
            #expect(try await client.call(TestMethods.numbers, [2, 3]) == 5)
            #expect(harness.server.connectionCount == 3)
            // Once the silent ones go, new connections are accepted again.
            held.forEach { $0.cancel() }
            try await waitFor { harness.server.connectionCount == 1 }
            #expect(try await harness.client().call(TestMethods.numbers, [4]) == 4)
        }
    }

    @Test func connectionsInAllAreCapped() async throws {
        let configure: (inout WireServerConfiguration) -> Void = { $0.maxConnections = 2 }
        _ = try await withWireServer(service: "test", router: testRouter(), configure: configure) { harness in
            let silent = try await harness.rawConnection()
            let held = Task { try await silent.send([], thenReadFor: .seconds(20)) }
            try await waitFor { harness.server.connectionCount == 1 }
            let client = harness.client(poolSize: 1)
            #expect(try await client.call(TestMethods.numbers, [1]) == 1)
            let refused = try await harness.rawConnection().send([], thenReadFor: .seconds(10))
            #expect(refused.closedByServer)
            held.cancel()
            try await waitFor { harness.server.connectionCount == 1 }
        }
    }
}
