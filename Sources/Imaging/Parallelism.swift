/// How many threads an operation may use. Work is split into bands of rows (or columns).
public struct Parallelism: Sendable, Equatable {
    /// At least 1.
    public var threads: Int
    /// When set and cancelled, bands not yet started are skipped; the caller (the pipeline) throws
    /// `ImagingError.cancelled` and drops the partial result.
    public var cancellation: Cancellation?

    public init(threads: Int, cancellation: Cancellation? = nil) {
        self.threads = max(1, threads)
        self.cancellation = cancellation
    }

    /// The same thread count, stopped by `cancellation`.
    public func cancelled(by cancellation: Cancellation?) -> Parallelism {
        Parallelism(threads: threads, cancellation: cancellation)
    }

    var isCancelled: Bool { cancellation?.isCancelled ?? false }

    /// One thread per active core: the default.
    public static var allCores: Parallelism { Parallelism(threads: activeCores) }
    public static let single = Parallelism(threads: 1)

    private static let activeCores = max(1, sysconfCores())

    /// Calls `body` for disjoint ranges that cover `0..<count`, on up to `threads` threads at once.
    /// Ranges are kept at least `grain` long so that tiny images do not pay for thread hand-offs.
    func forEachRange(_ count: Int, grain: Int = 32, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let bands = min(max(threads, cancellation == nil ? 1 : 4) * 4, max(1, count / max(1, grain)))
        // Without a cancellation to look at, one thread takes the whole range at once; with one, it takes
        // the same bands as four threads would, looking at the flag before each.
        guard bands > 1, threads > 1 || cancellation != nil else {
            body(0..<count)
            return
        }
        let width = (count + bands - 1) / bands
        if threads == 1 {
            for start in stride(from: 0, to: count, by: width) where !isCancelled {
                body(start..<min(count, start + width))
            }
            return
        }
        // `threads` workers that stride over the bands keep at most `threads` cores busy.
        forEachWorker(threads) { worker, workers in
            var band = worker
            while band < bands {
                let start = band * width
                let end = min(count, start + width)
                if start < end, !isCancelled { body(start..<end) }
                band += workers
            }
        }
    }

    /// Calls `body(worker, workers)` for each of `workers` workers (at most `threads`) at once, for work
    /// that a caller splits itself (each worker with scratch space of its own).
    public func forEachWorker(_ workers: Int, _ body: (_ worker: Int, _ workers: Int) -> Void) {
        let workers = max(1, min(threads, workers))
        guard workers > 1 else {
            body(0, 1)
            return
        }
        ForkJoinPool.shared.run(workers) { worker in body(worker, workers) }
    }
}

#if canImport(Glibc)
    import Glibc
    private func sysconfCores() -> Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
#else
    import Darwin
    private func sysconfCores() -> Int { Int(sysconf(_SC_NPROCESSORS_ONLN)) }
#endif
