import BenchSupport
import Foundation
import Imaging

/// Dehaze, thumbnails and peak memory: the targets that are not one OpenCV call.
enum Extras {
    static func run(folder: String, peer: OpenCVPeer, runs: Int) throws {
        let big = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(folder)/big.jpg")))
        let hd = try ImageCodec.decode(Data(contentsOf: URL(fileURLWithPath: "\(folder)/big_1080p.jpg")))
        let image = try ImageCodec.decode(big)
        let megapixels = Double(image.pixelCount) / 1e6

        print("")
        print("| measure | Swift | peer | ratio | target |")
        print("|---|---:|---:|---:|---|")
        let thumbnail = try medianMilliseconds(runs: runs * 2) { _ = try Thumbnailer().jpeg(from: big, parallelism: .single) }
        let peerThumbnail = peer.milliseconds("threads_1", "extra", "thumbnail_256_from_12MP_jpeg")
        print(
            "| 12 MP JPEG → 256 px JPEG thumbnail, 1 thread | \(format(thumbnail)) ms | \(peerThumbnail.map { format($0) + " ms (OpenCV IMREAD_REDUCED_COLOR_8)" } ?? "–") | \(peerThumbnail.map { format(thumbnail / $0) + "×" } ?? "–") | < 15 ms |"
        )
        let dehazeRuns = max(1, runs / 2)
        let dehazeAll = try medianMilliseconds(runs: dehazeRuns) { _ = try image.dehazed(parallelism: .allCores) }
        let dehazeSingle = try medianMilliseconds(runs: dehazeRuns) { _ = try image.dehazed(parallelism: .single) }
        let dehazeFast = try medianMilliseconds(runs: dehazeRuns) {
            _ = try image.dehazed(DehazeParameters(subsampling: 4), parallelism: .allCores)
        }
        let numpy = peer.milliseconds("threads_default", "extra", "dehaze_numpy_reference_1080p")
        let numpyPerMP = numpy.map { $0 / (Double(hd.pixelCount) / 1e6) }
        let swiftPerMP = dehazeSingle / megapixels
        print("| dehaze 12 MP, all cores | \(format(dehazeAll)) ms | – | – | < 1000 ms |")
        print(
            "| dehaze per MP, 1 thread (numpy reference per MP on 1080p) | \(format(swiftPerMP)) ms/MP | \(numpyPerMP.map { format($0) + " ms/MP" } ?? "–") | \(numpyPerMP.map { format($0 / swiftPerMP, digits: 1) + "× faster" } ?? "–") | ≥ 20× faster |"
        )
        print("| dehaze 12 MP, all cores, fast guided filter (s = 4) | \(format(dehazeFast)) ms | – | – | (option) |")

        let memory = try MemoryProbe.measure(file: "\(folder)/big.jpg")
        print(
            "| peak memory, 12 MP decode → sharpen → rotate 90° → gray → JPEG | \(format(Double(memory.peak) / 1_048_576, digits: 1)) MiB | decoded image \(format(Double(memory.decoded) / 1_048_576, digits: 1)) MiB | \(format(Double(memory.peak) / Double(memory.decoded)))× | < 3× |"
        )
    }
}

/// Peak resident memory of one pipeline, measured in a child process so nothing else is counted.
enum MemoryProbe {
    static func measure(file: String) throws -> (peak: Int, decoded: Int) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = ["--memory", file]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let numbers = text.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        guard numbers.count == 2 else { throw PeerError(message: "memory probe printed \(text)") }
        return (numbers[0], numbers[1])
    }

    /// Child mode: prints "<peak bytes above the start> <decoded image bytes>".
    static func run(file: String) throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        let start = memoryStatus("VmRSS")
        let pipeline = try Pipeline([
            .sharpen(sigma: 1, amount: 1, threshold: 0), .rotate(degrees: 90, expand: true, background: nil),
            .color(.gray),
        ])
        let header = try ImageCodec.header(of: bytes)
        let result = try pipeline.process(bytes, format: .jpeg)
        precondition(result.bytes.count > 0)
        let peak = memoryStatus("VmHWM") - start
        print("\(peak) \(header.width * header.height * header.layout.channels)")
    }

    /// A field of /proc/self/status in bytes. VmHWM is the peak of this process image; ru_maxrss would
    /// not do, since Linux carries it over from the forked parent across exec.
    private static func memoryStatus(_ field: String) -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix(field + ":") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
    }
}
