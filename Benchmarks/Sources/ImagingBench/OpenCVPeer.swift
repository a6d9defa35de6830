import BenchSupport
import Foundation
import Imaging

/// The figures `opencv_peer.py` printed.
struct OpenCVPeer {
    let json: [String: Any]

    var version: String { (json["meta"] as? [String: Any])?["opencv"] as? String ?? "?" }
    var defaultThreads: Int { (json["meta"] as? [String: Any])?["default_threads"] as? Int ?? 0 }
    var ipp: Bool { (json["meta"] as? [String: Any])?["ipp"] as? Bool ?? false }

    func milliseconds(_ mode: String, _ group: String, _ operation: String) -> Double? {
        ((json[mode] as? [String: Any])?[group] as? [String: Any])?[operation] as? Double
    }

    /// Runs the peer; `only` limits it to those operations (and leaves out its extras).
    static func run(
        python: String, script: String, source: String, folder: String, runs: Int, quick: Bool, only: Set<String>?
    ) throws -> OpenCVPeer {
        var command = [python, script, "--source", source, "--out", folder, "--runs", String(runs)]
        if quick { command.append("--quick") }
        if let only { command += ["--only", only.sorted().joined(separator: ",")] }
        return OpenCVPeer(json: try runJSONPeer(command))
    }
}

extension OpenCVPeer {
    /// The peer's inputs made without OpenCV: bicubic upscales of the source, JPEG quality 90.
    static func makeInputs(source: String, folder: String) throws {
        let photo = try ImageCodec.decode(Data(contentsOf: URL(fileURLWithPath: source)))
        let big = photo.resampled(width: 4000, height: 3000, filter: .bicubic)
        try Data(ImageCodec.encode(big, as: .jpeg, quality: 90)).write(to: URL(fileURLWithPath: "\(folder)/big.jpg"))
        let tall = photo.resampled(width: 1920, height: 1440, filter: .bicubic)
        let hd = try tall.cropped(x: 0, y: 180, width: 1920, height: 1080)
        try Data(ImageCodec.encode(hd, as: .jpeg, quality: 90)).write(
            to: URL(fileURLWithPath: "\(folder)/big_1080p.jpg"))
    }
}

