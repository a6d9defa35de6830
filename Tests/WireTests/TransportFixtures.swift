import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

@testable import Wire

struct Echo: Codable, Sendable, Equatable {
    var text: String
    var payload: [UInt8]

    enum CodingKeys: Int, CodingKey {
        case text = 1
        case payload = 2
    }
}

struct Nap: Codable, Sendable {
    var milliseconds: Int
    enum CodingKeys: Int, CodingKey { case milliseconds = 1 }
}

/// Where an event-loop handler found itself, and the trace it was given.
struct Placement: Codable, Sendable, Equatable {
    var onEventLoop: Bool
    var trace: String
    enum CodingKeys: Int, CodingKey { case onEventLoop = 1, trace }
}

struct Failure: Error {}

enum TestMethods {
    static let echo = Method<Echo, Echo>(id: 1, name: "test.echo")
    static let nap = Method<Nap, Empty>(id: 2, name: "test.nap")
    static let fail = Method<Empty, Empty>(id: 3, name: "test.fail")
    static let chain = Method<Chain, Empty>(id: 4, name: "test.chain")
    static let numbers = Method<[Int], Int>(id: 5, name: "test.numbers")
    /// Same id as `echo` but a request type the server cannot read.
    static let echoMismatch = Method<Nap, Echo>(id: 1, name: "test.echo")
    static let missing = Method<Empty, Empty>(id: 99, name: "test.missing")
    /// Registered with `registerOnEventLoop`: reports where it ran.
    static let placement = Method<Echo, Placement>(id: 6, name: "test.placement")
    /// Registered with `registerOnEventLoop`: `milliseconds` 0 throws a WireError, anything else another error.
    static let failOnLoop = Method<Nap, Empty>(id: 7, name: "test.failOnLoop")
}

/// What the test handlers saw, for assertions on cancellation.
final class Observations: Sendable {
    let cancelled = NIOLockedValueBox(0)
    let started = NIOLockedValueBox(0)
}

func testRouter(_ observations: Observations = Observations()) -> WireRouter {
    var router = WireRouter()
    router.register(TestMethods.echo) { request, _ in request }
    router.register(TestMethods.nap) { request, _ in
        observations.started.withLockedValue { $0 += 1 }
        do {
            try await Task.sleep(for: .milliseconds(request.milliseconds))
        } catch {
            observations.cancelled.withLockedValue { $0 += 1 }
            throw error
        }
        return Empty()
    }
    router.register(TestMethods.fail) { _, _ in throw WireError(.notFound, "No such thing") }
    router.register(TestMethods.chain) { _, _ in Empty() }
    router.register(TestMethods.numbers) { numbers, _ in numbers.reduce(0, +) }
    router.registerOnEventLoop(TestMethods.placement) { _, context in
        Placement(onEventLoop: MultiThreadedEventLoopGroup.currentEventLoop != nil, trace: context.trace)
    }
    router.registerOnEventLoop(TestMethods.failOnLoop) { request, _ in
        guard request.milliseconds != 0 else { throw WireError(.notFound, "Nothing on the loop") }
        throw Failure()
    }
    return router
}

/// A frame as raw bytes, for tests that speak the protocol by hand.
func rawFrame(_ type: UInt8, flags: UInt8 = 0, id: UInt32 = 0, payload: [UInt8] = []) -> [UInt8] {
    var bytes: [UInt8] = []
    withUnsafeBytes(of: UInt32(6 + payload.count).bigEndian) { bytes += $0 }
    bytes += [type, flags]
    withUnsafeBytes(of: id.bigEndian) { bytes += $0 }
    return bytes + payload
}
