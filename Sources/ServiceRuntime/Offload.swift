import Dispatch

/// Runs CPU-bound work (image operations, key derivation) on a Dispatch queue instead of a thread of
/// Swift's cooperative pool, so that a long job never stalls the requests multiplexed beside it.
/// Throwing work returns a `Result`.
public enum Offload {
    private static let queue = DispatchQueue(label: "clearsky.offload", attributes: .concurrent)

    public static func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: work()) }
        }
    }
}
