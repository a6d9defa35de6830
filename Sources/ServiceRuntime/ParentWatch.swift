import Foundation
import Logging
import ServiceLifecycle

/// Ends the process gracefully when the `clearsky up` supervisor that started it is gone,
/// so that a killed supervisor never leaves orphaned services holding ports.
struct ParentWatch: Service {
    let supervisor: pid_t
    let logger: Logger

    /// Nil unless the process was started by a supervisor (`CLEARSKY_SUPERVISOR_PID`).
    init?(logger: Logger, environment: [String: String] = ProcessInfo.processInfo.environment) {
        guard let text = environment["CLEARSKY_SUPERVISOR_PID"], let pid = pid_t(text) else { return nil }
        self.supervisor = pid
        self.logger = logger
    }

    func run() async throws {
        while !Task.isShuttingDownGracefully {
            if getppid() != supervisor {
                logger.warning("Supervisor \(supervisor) is gone; shutting down")
                return  // a service that returns ends the group: everything shuts down
            }
            try await Task.sleep(for: .seconds(1))
        }
    }
}
