import BenchSupport
import Foundation
import Imaging

/// Times every Imaging operation beside OpenCV on the same 12 MP and 1080p inputs, one thread and all
/// cores, and prints the ratios. OpenCV runs in `opencv_peer.py` (python3 with opencv-python-headless).
///
///     ImagingBench [--runs 5] [--quick] [--source Benchmarks/Data/scenetext01.jpg] [--python python3]
///     ImagingBench --memory FILE     (child mode: peak memory of decode → 3 operations → encode)
@main
struct ImagingBench {
    static func main() throws {
        let arguments = Arguments(CommandLine.arguments.dropFirst())
        if let file = arguments.value("--memory") {
            try MemoryProbe.run(file: file)
            return
        }
        let runs = Int(arguments.value("--runs") ?? "") ?? 5
        let quick = arguments.flag("--quick")
        let source = arguments.value("--source") ?? "Benchmarks/Data/scenetext01.jpg"
        let python = arguments.value("--python") ?? "python3"
        guard FileManager.default.fileExists(atPath: source) else {
            print(
                "ImagingBench: no input photo at \(source); run it from the repository root (make bench-imaging)"
                    + " or pass --source")
            exit(2)
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("clearsky-imaging-bench").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)

        let only = arguments.value("--only").map { Set($0.split(separator: ",").map(String.init)) }
        let peer: OpenCVPeer
        if arguments.flag("--no-peer") {
            // Swift alone (for profiling): the same inputs, made by Imaging instead of OpenCV.
            try OpenCVPeer.makeInputs(source: source, folder: folder)
            peer = OpenCVPeer(json: [:])
        } else {
            print("Running the OpenCV peer (\(python) Benchmarks/opencv_peer.py) …")
            peer = try OpenCVPeer.run(
                python: python, script: "Benchmarks/opencv_peer.py", source: source, folder: folder, runs: runs,
                quick: quick, only: only)
            print(
                "OpenCV \(peer.version), default threads \(peer.defaultThreads), IPP \(peer.ipp); Swift: \(ProcessInfo.processInfo.activeProcessorCount) cores"
            )
        }

        var table = Table()
        for (size, file) in [("12MP", "big.jpg"), ("1080p", "big_1080p.jpg")] {
            let jpeg = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(folder)/\(file)")))
            let suite = try OperationSuite(jpeg: jpeg, quick: quick)
            for (label, parallelism) in [("threads_1", Parallelism.single), ("threads_default", Parallelism.allCores)] {
                for (name, operation) in suite.operations(parallelism) where only?.contains(name) ?? true {
                    let swift = try medianMilliseconds(runs: runs, operation)
                    table.add(
                        size: size, operation: name, mode: label, swift: swift,
                        opencv: peer.milliseconds(label, size, name))
                }
            }
        }
        table.print()
        if only == nil { try Extras.run(folder: folder, peer: peer, runs: runs) }
    }
}

/// `--name value` and `--flag` arguments.
struct Arguments {
    let words: [String]
    init(_ words: ArraySlice<String>) { self.words = Array(words) }
    func value(_ name: String) -> String? {
        guard let index = words.firstIndex(of: name), index + 1 < words.count else { return nil }
        return words[index + 1]
    }
    func flag(_ name: String) -> Bool { words.contains(name) }
}

