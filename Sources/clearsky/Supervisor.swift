import AsyncHTTPClient
import Contracts
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Wire

/// Keeps every child process of the cluster running until shutdown, then stops them all.
struct Supervisor: Service, CustomStringConvertible {
    let plan: ClusterPlan
    let logger: Logger
    /// Time children get to exit after SIGTERM before SIGKILL; short, so that `clearsky up` is gone within
    /// two seconds of its own SIGTERM (every store commits in transactions, a killed job is claimed again).
    var stopGrace: Duration = .milliseconds(1_500)
    /// Restarts per service since start, written to `plan.restartsFile` for the gateway's `/healthz`.
    let restarts = RestartCounts()

    var description: String { "Supervisor(\(plan.dataDirectory))" }

    func run() async throws {
        restarts.write(to: plan.restartsFile)
        try await withThrowingDiscardingTaskGroup { group in
            for child in plan.children {
                group.addTask { try await keepRunning(child) }
            }
            group.addTask { await announceWhenHealthy() }
        }
        logger.info("Clearsky stopped")
    }

    /// Starts `child`, and again each time it exits, until the cluster shuts down.
    private func keepRunning(_ child: ClusterPlan.Child) async throws {
        var backoff = Duration.milliseconds(500)
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            let started = ContinuousClock.now
            let status = try await runOnce(child)
            if Task.isShuttingDownGracefully || Task.isCancelled { return }
            if ContinuousClock.now - started > .seconds(60) { backoff = .milliseconds(500) }
            logger.warning(
                "\(child.name.rawValue) exited (status \(status)); restarting in \(backoff)",
                metadata: ["service": "\(child.name.key)"])
            restarts.count(child.name.key)
            restarts.write(to: plan.restartsFile)
            // A shutdown ends the wait at once (graceful shutdown does not cancel a plain sleep).
            let wait = backoff
            await cancelWhenGracefulShutdown { try? await Task.sleep(for: wait) }
            backoff = min(backoff * 2, .seconds(30))
        }
    }

    /// Runs the child until it exits; on graceful shutdown sends SIGTERM, then SIGKILL after the grace period.
    private func runOnce(_ child: ClusterPlan.Child) async throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: child.executable)
        process.arguments = child.arguments
        var environment = ProcessInfo.processInfo.environment
        environment["CLEARSKY_SUPERVISOR_PID"] = String(getpid())
        environment["CLEARSKY_RESTARTS_FILE"] = plan.restartsFile
        process.environment = environment
        let exit = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { process in
            exit.continuation.yield(process.terminationStatus)
            exit.continuation.finish()
        }
        try process.run()
        let pid = process.processIdentifier
        let pidFile = "\(plan.runDirectory)/\(child.name.rawValue).pid"
        try? "\(pid)\n".write(toFile: pidFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: pidFile) }

        return await withTaskGroup(of: Int32?.self) { group in
            group.addTask {
                var iterator = exit.stream.makeAsyncIterator()
                return await iterator.next() ?? -1
            }
            group.addTask {
                // Waits for shutdown (graceful or cancellation), then stops the child.
                try? await gracefulShutdown()
                kill(pid, SIGTERM)
                try? await Task.sleep(for: stopGrace)
                kill(pid, SIGKILL)
                return nil
            }
            while let result = await group.next() {
                if let status = result {
                    group.cancelAll()
                    return status
                }
            }
            return -1
        }
    }

    /// Polls the gateway's `/healthz` and prints the URL once every service is green.
    private func announceWhenHealthy() async {
        let url = "http://127.0.0.1:\(plan.gatewayPort)"
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                let response = try await HTTPClient.shared.execute(
                    HTTPClientRequest(url: plan.healthURL), timeout: .seconds(2))
                if response.status == .ok {
                    let line = "Clearsky is up: \(url)  (data: \(plan.dataDirectory); Ctrl-C stops it)\n"
                    FileHandle.standardOutput.write(Data(line.utf8))
                    return
                }
            } catch {
                // Not listening yet.
            }
            try? await Task.sleep(for: .milliseconds(250))
        }
    }
}

/// How often each service was restarted, as `{"auth":0,…}` in a file the gateway reads for `/healthz`.
final class RestartCounts: Sendable {
    private let counts = Mutex([String: Int]())

    init() {
        counts.withLock { counts in for service in ServiceName.allCases { counts[service.key] = 0 } }
    }

    func count(_ service: String) { counts.withLock { $0[service, default: 0] += 1 } }

    func write(to path: String) {
        let snapshot = counts.withLock { $0 }
        guard let data = try? JSONSerialization.data(withJSONObject: snapshot, options: .sortedKeys) else { return }
        try? data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
