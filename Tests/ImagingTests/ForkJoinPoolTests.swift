import Foundation
import TestImages
import Testing

@testable import Imaging

/// The threads that run `Parallelism`'s workers: every item once, nested and concurrent calls, and as many
/// workers at once as a call asks for, whatever the core count.
@Suite(.offCooperativePool) struct ForkJoinPoolTests {
    @Test(arguments: [1, 2, 3, 8, 40])
    func everyItemRunsOnce(count: Int) {
        let runs = Counts(count)
        ForkJoinPool.shared.run(count) { runs.add(at: $0) }
        #expect(runs.values == Array(repeating: 1, count: count))
    }

    @Test func workersRunAtOnce() {
        // Three workers that each wait for the other two: done only if all three run at the same time, which
        // Dispatch's pool does not promise on a 2-core machine.
        let workers = 3
        let barrier = Barrier(parties: workers)
        let timedOut = Counts(workers)
        Parallelism(threads: workers).forEachWorker(workers) { worker, _ in
            if !barrier.arriveAndWait(seconds: 10) { timedOut.add(at: worker) }
        }
        #expect(timedOut.values == [0, 0, 0])
    }

    @Test func nestedAndConcurrentCallsFinish() {
        // Eight callers at once, each splitting into four workers that split again: far more workers than
        // helpers and cores, which must not deadlock since a caller runs whatever nobody has started.
        let callers = 8
        let runs = Counts(callers * 4 * 4)
        DispatchQueue.concurrentPerform(iterations: callers) { caller in
            Parallelism(threads: 4).forEachWorker(4) { outer, _ in
                Parallelism(threads: 4).forEachWorker(4) { inner, _ in
                    runs.add(at: (caller * 4 + outer) * 4 + inner)
                }
            }
        }
        #expect(runs.values == Array(repeating: 1, count: callers * 4 * 4))
    }

    @Test func rangesCoverEveryIndexOnce() {
        for count in [1, 31, 32, 33, 1000, 4097] {
            let runs = Counts(count)
            Parallelism(threads: 3).forEachRange(count, grain: 8) { range in
                for index in range { runs.add(at: index) }
            }
            #expect(runs.values == Array(repeating: 1, count: count), "count \(count)")
        }
    }
}

/// Per-index counters that several threads bump.
private final class Counts: @unchecked Sendable {
    private let lock = NSLock()
    private var counts: [Int]

    init(_ count: Int) { counts = Array(repeating: 0, count: count) }

    func add(at index: Int) { lock.withLock { counts[index] += 1 } }

    var values: [Int] { lock.withLock { counts } }
}

/// Lets threads wait until `parties` of them have arrived.
private final class Barrier: @unchecked Sendable {
    private let condition = NSCondition()
    private let parties: Int
    private var arrived = 0

    init(parties: Int) { self.parties = parties }

    /// False when the others did not all arrive within `seconds`.
    func arriveAndWait(seconds: Double) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        arrived += 1
        condition.broadcast()
        let deadline = Date(timeIntervalSinceNow: seconds)
        while arrived < parties {
            if !condition.wait(until: deadline) { return arrived >= parties }
        }
        return true
    }
}
