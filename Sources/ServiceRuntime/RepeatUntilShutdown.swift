import Contracts
import Logging
import ServiceLifecycle
import Wire

/// Runs `step` over and over until the task is cancelled or a graceful shutdown begins: the loop of an
/// event consumer. A failed step is logged — at info when a peer is unavailable (still starting or
/// restarting), else as a warning — and tried again after a second.
public func repeatUntilShutdown(
    logger: Logger, _ message: Logger.Message, _ step: @escaping @Sendable () async throws -> Void
) async {
    await cancelWhenGracefulShutdown {
        while !Task.isCancelled {
            do {
                try await step()
            } catch {
                if Task.isCancelled { return }
                let level: Logger.Level = (error as? WireError)?.code == .unavailable ? .info : .warning
                logger.log(level: level, message, metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
