import Foundation

/// The threads that `Parallelism` runs its workers on: threads of its own rather than Dispatch's.
///
/// On Linux `DispatchQueue.concurrentPerform` draws on the same root-queue threads as Swift concurrency's
/// cooperative pool, so a long pass there starves the async work (Wire requests, health probes) of the
/// process it runs in. Here each call is a fork-join job: the caller posts it, runs items itself until
/// none is left unclaimed, then waits only for the items that helpers took and are running. A caller never
/// waits for an item nobody has started, so nested and concurrent calls cannot deadlock however few helpers
/// there are; helpers are started when a job first asks for more of them, and then kept.
final class ForkJoinPool: @unchecked Sendable {
    static let shared = ForkJoinPool()

    /// Guards every field below and every job's counts; helpers wait on it for work.
    private let condition = NSCondition()
    /// Jobs with items nobody has claimed yet, oldest first.
    private var pending: [Job] = []
    private var helpers = 0
    private static let helperLimit = 255

    /// Calls `body(item)` for each item in `0..<count`, on the caller's thread and up to `count - 1` helpers,
    /// and returns when every call has returned.
    func run(_ count: Int, _ body: (_ item: Int) -> Void) {
        guard count > 1 else {
            if count == 1 { body(0) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let job = Job(count: count, body: body)
            condition.lock()
            pending.append(job)
            startHelpers(upTo: min(count - 1, Self.helperLimit))
            condition.broadcast()
            while let item = claim(from: job) {
                condition.unlock()
                job.run(item)
                condition.lock()
                job.finished += 1
            }
            let done = job.finished == count
            if !done { job.callerWaits = true }
            condition.unlock()
            if !done { job.done.wait() }
            // The last helper has counted its item; nothing calls the body again, so it can go before
            // `withoutActuallyEscaping` checks that nothing kept it.
            condition.lock()
            job.body = nil
            condition.unlock()
        }
    }

    /// The next unclaimed item of `job`, or nil when all are claimed (the job then leaves `pending`).
    /// Called with the lock held.
    private func claim(from job: Job) -> Int? {
        guard job.claimed < job.count else { return nil }
        let item = job.claimed
        job.claimed += 1
        if job.claimed == job.count, let index = pending.firstIndex(where: { $0 === job }) {
            pending.remove(at: index)
        }
        return item
    }

    /// Called with the lock held.
    private func startHelpers(upTo wanted: Int) {
        while helpers < wanted {
            let thread = Thread { [self] in helperLoop() }
            thread.name = "clearsky.parallel-\(helpers)"
            thread.start()
            helpers += 1
        }
    }

    private func helperLoop() {
        condition.lock()
        while true {
            guard let job = pending.first else {
                condition.wait()
                continue
            }
            guard let item = claim(from: job) else { continue }
            condition.unlock()
            job.run(item)
            condition.lock()
            job.finished += 1
            if job.finished == job.count, job.callerWaits { job.done.signal() }
        }
    }

    private final class Job {
        let count: Int
        /// Set to nil by the caller once every item has returned (see `run`).
        var body: ((Int) -> Void)?
        var claimed = 0
        var finished = 0
        var callerWaits = false
        let done = DispatchSemaphore(value: 0)

        init(count: Int, body: @escaping (Int) -> Void) {
            self.count = count
            self.body = body
        }

        /// Reads `body` without keeping a copy past the call (the lock is not held: `body` changes only
        /// after every item has finished).
        func run(_ item: Int) { body?(item) }
    }
}
