import BenchSupport
import Foundation
import GRDB
import SQLiteSupport

/// What `synchronous = FULL` costs (review M15): single-row commits, as a revocation, a sign-in or an image
/// row is written, into a WAL database opened as every service opens it now (`DatabasePool.durable`)
/// beside GRDB's default (`NORMAL`), in the same folder and run.
///
///     StoreBench [--dir FOLDER] [--quick]   (FOLDER: on the disk the data folder lives on; default ./.build)
@main
enum StoreBench {
    static func main() async throws {
        let arguments = CommandLine.arguments
        let quick = arguments.contains("--quick")
        let root = arguments.firstIndex(of: "--dir").map { arguments[$0 + 1] } ?? ".build"
        let folder = "\(root)/storebench-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let iterations = quick ? 300 : 3_000
        print("StoreBench: one writer, one ~300-byte row per commit, WAL, \(iterations) commits, in \(root)")
        print("")
        print("| synchronous | p50 µs | p99 µs | commits/s (4 writers) |")
        print("|---|---|---|---|")
        var results: [String: Figures] = [:]
        for (name, durable) in [("NORMAL (GRDB's default)", false), ("FULL (`DatabasePool.durable`)", true)] {
            let path = "\(folder)/\(results.count).sqlite"
            let pool = durable ? try DatabasePool.durable(path: path) : try DatabasePool(path: path)
            try await pool.write { db in
                try db.execute(sql: "CREATE TABLE row (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
            }
            let body = String(repeating: "x", count: 300)
            let figures = try await measure(iterations: iterations, callers: 4, seconds: quick ? 1 : 3) {
                try await pool.write { db in
                    try db.execute(sql: "INSERT INTO row (body) VALUES (?)", arguments: [body])
                }
            }
            results[name] = figures
            print(
                String(
                    format: "| %@ | %.0f | %.0f | %.0f |", name, figures.p50, figures.p99, figures.requestsPerSecond))
        }
        if let normal = results["NORMAL (GRDB's default)"], let full = results["FULL (`DatabasePool.durable`)"] {
            print("")
            print(
                String(
                    format: "FULL / NORMAL: p50 %.1f×, commits/s %.2f×", full.p50 / normal.p50,
                    full.requestsPerSecond / normal.requestsPerSecond))
        }
    }
}
