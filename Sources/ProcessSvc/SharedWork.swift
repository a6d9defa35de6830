import Synchronization
import Wire

/// Work done once per key however many callers ask at the same time: the first caller's task runs it,
/// the others await the same task. The task is awaited by every caller, never left running alone. It keeps
/// the first caller's trace but not its deadline, which is not the others'.
final class SharedWork<Value: Sendable>: Sendable {
    private let running = Mutex<[String: Task<Value, any Error>]>([:])

    func run(key: String, _ work: @escaping @Sendable () async throws -> Value) async throws -> Value {
        let task = running.withLock { running in
            if let task = running[key] { return task }
            let task = Task { try await WireContext.withoutDeadline { try await work() } }
            running[key] = task
            return task
        }
        defer { running.withLock { if $0[key] == task { $0[key] = nil } } }
        return try await task.value
    }
}
