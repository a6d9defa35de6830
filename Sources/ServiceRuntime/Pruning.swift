import Logging
import ServiceLifecycle

/// Removes what a service no longer needs (old events, finished deliveries, expired sign-ins) on a
/// schedule: once at start, then every `interval`, until a graceful shutdown. `prune` returns how many
/// rows of each kind it removed, logged at info when any were; a failure is logged and tried again at
/// the next turn.
public struct Pruning: Service {
    public let interval: Duration
    let logger: Logger
    let prune: @Sendable () async throws -> [String: Int]

    public init(every interval: Duration, logger: Logger, _ prune: @escaping @Sendable () async throws -> [String: Int])
    {
        (self.interval, self.logger, self.prune) = (interval, logger, prune)
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let removed = try await prune()
                    if removed.values.contains(where: { $0 > 0 }) {
                        logger.info("Pruned", metadata: removed.mapValues { .stringConvertible($0) })
                    }
                } catch {
                    if Task.isCancelled { return }
                    logger.warning("Pruning failed; trying again later", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
