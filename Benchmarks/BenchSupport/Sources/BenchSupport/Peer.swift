import Foundation

/// Median milliseconds of `runs` calls after `warmUp` untimed ones.
public func medianMilliseconds(runs: Int, warmUp: Int = 1, _ body: () throws -> Void) rethrows -> Double {
    for _ in 0..<warmUp { try body() }
    let clock = ContinuousClock()
    var samples: [Double] = []
    for _ in 0..<max(1, runs) {
        let start = clock.now
        try body()
        samples.append((clock.now - start).microseconds / 1000)
    }
    return samples.sorted()[samples.count / 2]
}

/// A peer program that failed or printed no JSON object.
public struct PeerError: Error, CustomStringConvertible {
    public let message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}

/// Runs `arguments` through /usr/bin/env (a Python peer, typically) and reads the one JSON object it
/// prints on standard output.
public func runJSONPeer(_ arguments: [String]) throws -> [String: Any] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0,
        let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    else {
        throw PeerError(
            message: "\(arguments.joined(separator: " ")) failed (exit \(process.terminationStatus)); "
                + "install the peers with `python3 -m pip install -r Benchmarks/requirements.txt`")
    }
    return json
}
