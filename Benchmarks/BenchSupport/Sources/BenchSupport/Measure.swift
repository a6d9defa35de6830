import Foundation

/// Latency percentiles of one caller and throughput of many.
public struct Figures: Sendable {
    /// Microseconds.
    public var p50: Double
    /// Microseconds.
    public var p99: Double
    public var requestsPerSecond: Double

    public init(p50: Double, p99: Double, requestsPerSecond: Double) {
        self.p50 = p50
        self.p99 = p99
        self.requestsPerSecond = requestsPerSecond
    }

    /// The line a peer process prints for the driver to read.
    public var resultLine: String { "RESULT \(p50) \(p99) \(requestsPerSecond)" }

    /// Reads a `RESULT` line out of a peer's output.
    public init?(resultIn output: String) {
        let numbers =
            output.split(separator: "\n").first { $0.hasPrefix("RESULT") }?.split(separator: " ").dropFirst()
            .compactMap { Double($0) } ?? []
        guard numbers.count == 3 else { return nil }
        self.init(p50: numbers[0], p99: numbers[1], requestsPerSecond: numbers[2])
    }
}

extension Duration {
    public var microseconds: Double {
        Double(components.seconds) * 1e6 + Double(components.attoseconds) / 1e12
    }
}

/// Times `iterations` sequential calls after a warm-up, then `callers` concurrent callers for `seconds`.
public func measure(
    iterations: Int, callers: Int, seconds: Int, _ call: @escaping @Sendable () async throws -> Void
) async throws -> Figures {
    for _ in 0..<max(10, iterations / 10) { try await call() }
    let clock = ContinuousClock()
    var samples: [Double] = []
    samples.reserveCapacity(iterations)
    for _ in 0..<iterations {
        let start = clock.now
        try await call()
        samples.append((clock.now - start).microseconds)
    }
    samples.sort()
    let until = clock.now.advanced(by: .seconds(seconds))
    let start = clock.now
    let count = try await withThrowingTaskGroup(of: Int.self) { group in
        for _ in 0..<callers {
            group.addTask {
                var done = 0
                while clock.now < until {
                    try await call()
                    done += 1
                }
                return done
            }
        }
        return try await group.reduce(0, +)
    }
    let elapsed = (clock.now - start).microseconds / 1e6
    return Figures(
        p50: samples[samples.count / 2], p99: samples[samples.count * 99 / 100],
        requestsPerSecond: Double(count) / elapsed)
}

/// Writes one line to standard output at once (peers announce their port this way).
public func printLine(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}
