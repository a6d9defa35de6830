import Hummingbird
import Synchronization
import Testing

@testable import Gateway

/// M3/M14: one user cannot hold every slot for uploads, processing and recognition.
@Suite struct HeavyRequestsTests {
    @Test func aUserOverTheirLimitGets429AndOthersStillGetIn() async throws {
        let heavy = HeavyRequests(perUser: 2, total: 3)
        let gate = Gate()
        @Sendable func hold() async throws {
            while !gate.isOpen { try await Task.sleep(for: .milliseconds(5)) }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<2 {
                group.addTask { try await heavy.run("alice") { try await hold() } }
            }
            while heavy.inFlight < 2 { await Task.yield() }
            await #expect {
                try await heavy.run("alice") {}
            } throws: { error in
                let error = error as? APIError
                return error?.status == .tooManyRequests && error?.headers[.retryAfter] == "1"
            }
            // Bob has slots of his own, until everyone's total is reached.
            group.addTask { try await heavy.run("bob") { try await hold() } }
            while heavy.inFlight < 3 { await Task.yield() }
            await #expect {
                try await heavy.run("carol") {}
            } throws: { error in (error as? APIError)?.status == .serviceUnavailable }
            gate.open()
            try await group.waitForAll()
        }
        #expect(heavy.inFlight == 0)
        // Slots come back when a request fails too.
        struct Failure: Error {}
        await #expect(throws: Failure.self) { try await heavy.run("alice") { throw Failure() } }
        #expect(heavy.inFlight == 0)
        try await heavy.run("alice") {}
    }
}

/// Holds requests in their slots until opened.
final class Gate: Sendable {
    private let state = Mutex(false)
    var isOpen: Bool { state.withLock { $0 } }
    func open() { state.withLock { $0 = true } }
}
