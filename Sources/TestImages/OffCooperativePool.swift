import Foundation
import ServiceRuntime
import Testing

/// Runs each test of a suite on threads of its own instead of Swift's cooperative pool. The pool has one
/// thread per core; CPU-heavy synchronous tests (image operations, the detector) would otherwise hold
/// both threads of a 2-core machine for seconds and starve every test that talks to a server meanwhile.
public struct OffCooperativePool: SuiteTrait, TestTrait, TestScoping {
    public var isRecursive: Bool { true }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        guard testCase != nil else { return try await function() }
        try await withTaskExecutorPreference(DispatchTaskExecutor.shared) { try await function() }
    }
}

extension Trait where Self == OffCooperativePool {
    /// See `OffCooperativePool`.
    public static var offCooperativePool: Self { OffCooperativePool() }
}

/// A task executor over threads of its own (see `WorkerThreads`).
final class DispatchTaskExecutor: TaskExecutor, Sendable {
    static let shared = DispatchTaskExecutor()
    private let threads = WorkerThreads(
        count: max(2, ProcessInfo.processInfo.activeProcessorCount), name: "clearsky.tests.heavy")

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        threads.submit { job.runSynchronously(on: executor) }
    }
}
