import Foundation

/// Runs CPU-bound work (image operations, detection, key derivation) on threads of its own instead of a
/// thread of Swift's cooperative pool, so that a long job never stalls the requests multiplexed beside it.
/// (A concurrent Dispatch queue would not do: on Linux it draws on the same few root-queue threads as the
/// cooperative pool.) Throwing work returns a `Result`.
public enum Offload {
    private static let pool = WorkerThreads(
        count: max(2, ProcessInfo.processInfo.activeProcessorCount), name: "clearsky.offload")

    public static func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            pool.submit { continuation.resume(returning: work()) }
        }
    }
}

/// A fixed set of threads taking work in arrival order.
public final class WorkerThreads: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [@Sendable () -> Void] = []
    private var head = 0

    public init(count: Int, name: String) {
        for index in 0..<count {
            let thread = Thread { [self] in self.work() }
            thread.name = "\(name)-\(index)"
            thread.start()
        }
    }

    public func submit(_ work: @escaping @Sendable () -> Void) {
        condition.lock()
        queue.append(work)
        condition.signal()
        condition.unlock()
    }

    private func work() {
        while true {
            condition.lock()
            while head == queue.count { condition.wait() }
            let work = queue[head]
            head += 1
            if head > 1024, head * 2 > queue.count {
                queue.removeFirst(head)
                head = 0
            }
            condition.unlock()
            work()
        }
    }
}
