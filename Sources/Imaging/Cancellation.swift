import Synchronization

/// A flag a caller sets when it no longer wants a result: long kernels look at it between bands of
/// rows and the pipeline between operations, so work a client gave up on stops burning CPU.
public final class Cancellation: Sendable, Equatable {
    private let flag = Atomic<Bool>(false)

    public init() {}

    public var isCancelled: Bool { flag.load(ordering: .relaxed) }

    public func cancel() { flag.store(true, ordering: .relaxed) }

    public static func == (lhs: Cancellation, rhs: Cancellation) -> Bool { lhs === rhs }
}
