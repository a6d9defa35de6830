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

struct PeerError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
