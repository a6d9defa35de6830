import Foundation

/// The figures `opencv_peer.py` printed.
struct OpenCVPeer {
    let json: [String: Any]

    var version: String { (json["meta"] as? [String: Any])?["opencv"] as? String ?? "?" }
    var defaultThreads: Int { (json["meta"] as? [String: Any])?["default_threads"] as? Int ?? 0 }
    var ipp: Bool { (json["meta"] as? [String: Any])?["ipp"] as? Bool ?? false }

    func milliseconds(_ mode: String, _ group: String, _ operation: String) -> Double? {
        ((json[mode] as? [String: Any])?[group] as? [String: Any])?[operation] as? Double
    }

    static func run(python: String, script: String, source: String, folder: String, runs: Int, quick: Bool) throws
        -> OpenCVPeer
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments =
            [python, script, "--source", source, "--out", folder, "--runs", String(runs)] + (quick ? ["--quick"] : [])
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
            let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        else {
            throw PeerError(
                message: "the OpenCV peer failed (exit \(process.terminationStatus)); install it with "
                    + "`python3 -m pip install opencv-python-headless numpy`")
        }
        return OpenCVPeer(json: json)
    }
}

struct PeerError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
