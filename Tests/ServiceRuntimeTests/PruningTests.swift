import Logging
import ServiceLifecycle
import Synchronization
import Testing

@testable import ServiceRuntime

/// `Pruning` runs its work at start and then on its interval, survives a failing turn, and stops at a
/// graceful shutdown.
@Suite struct PruningTests {
    struct Flaky: Error {}

    @Test func runsAtStartThenEveryIntervalUntilShutdown() async throws {
        let turns = Mutex(0)
        let pruning = Pruning(every: .milliseconds(20), logger: Logger(label: "test")) {
            let turn = turns.withLock { turns in
                turns += 1
                return turns
            }
            if turn == 2 { throw Flaky() }
            return ["rows": turn]
        }
        let group = ServiceGroup(services: [pruning], logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            while turns.withLock({ $0 }) < 4 { try await Task.sleep(for: .milliseconds(5)) }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        let stopped = turns.withLock { $0 }
        try await Task.sleep(for: .milliseconds(60))
        #expect(turns.withLock { $0 } == stopped)
    }
}
