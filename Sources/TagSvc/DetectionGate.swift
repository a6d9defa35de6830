/// Lets one detection run at a time, first come first served (TagSvc has one per process). A forward pass already
/// spreads its GEMMs over every core (OpenBLAS's threads are process-wide); running several at once
/// only makes them fight for the same cores, and starves the event loops serving requests.
actor DetectionGate {
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func run<T: Sendable>(_ work: @Sendable () async throws -> T) async rethrows -> T {
        if busy {
            await withCheckedContinuation { waiting.append($0) }
        } else {
            busy = true
        }
        defer {
            if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
        }
        return try await work()
    }
}
