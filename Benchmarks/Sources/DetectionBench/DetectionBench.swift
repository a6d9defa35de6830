import BenchSupport
import Detection
import Foundation
import Imaging

/// YOLOv3-tiny forward pass and pre-processing beside OpenCV DNN (detection_peer.py), one thread and
/// all cores. Needs the model (`make models`) and ImagingBench's 12 MP input (it makes it if missing).
///
///     DetectionBench [--models ./models] [--python python3]
@main
struct DetectionBench {
    static func main() throws {
        let arguments = CommandLine.arguments
        func value(_ name: String) -> String? { arguments.firstIndex(of: name).map { arguments[$0 + 1] } }
        let models = value("--models") ?? "./models"
        let python = value("--python") ?? "python3"
        let detector = try Detector(files: ModelFiles(folder: models))
        let big = FileManager.default.temporaryDirectory.appendingPathComponent("clearsky-detection-12mp.jpg").path
        if !FileManager.default.fileExists(atPath: big) {
            let photo = try ImageCodec.decode(Data(contentsOf: URL(fileURLWithPath: "Benchmarks/Data/scenetext01.jpg")))
            let upscaled = photo.resampled(width: 4000, height: 3000, filter: .bicubic)
            try Data(ImageCodec.encode(upscaled, as: .jpeg, quality: 90)).write(to: URL(fileURLWithPath: big))
        }
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: big)))
        let image = try ImageCodec.decode(bytes)
        func prepare() -> [Float] { detector.blob(for: image, parallelism: .single) }
        let blob = prepare()
        func forward(_ parallelism: Parallelism) -> Double {
            medianMilliseconds(runs: 15, warmUp: 3) {
                detector.network.withHeads(blob, parallelism: parallelism) { _ in }
            }
        }
        let forwardSingle = forward(.single)
        let prepareSingle = medianMilliseconds(runs: 15, warmUp: 3) { _ = prepare() }
        let forwardAll = forward(.allCores)
        let endToEnd = medianMilliseconds(runs: 7, warmUp: 2) {
            _ = Detector.tags(try! detector.detection(in: bytes).found)
        }
        let cores = Parallelism.allCores.threads
        let megabytes = { (bytes: Int) in String(format: "%.1f", Double(bytes) / 1_048_576) }

        let peer = try runJSONPeer([python, "Benchmarks/detection_peer.py", models, big])
        func row(_ name: String, _ swift: Double, _ key: String) {
            let opencv = peer[key] as? Double
            print(
                "| \(name) | \(String(format: "%.2f", swift)) | \(opencv.map { String(format: "%.2f", $0) } ?? "–") | \(opencv.map { String(format: "%.2f×", swift / $0) } ?? "–") |"
            )
        }
        print("| YOLOv3-tiny (OpenCV \(peer["opencv"] ?? "?")) | Swift ms | OpenCV ms | ratio |")
        print("|---|---:|---:|---:|")
        row("forward pass on a 416×416 blob, 1 thread", forwardSingle, "forward_1")
        row("forward pass, all cores / OpenCV default threads", forwardAll, "forward_default")
        row("blob from the 12 MP image (resize + float), 1 thread", prepareSingle, "blob_1")
        row("12 MP JPEG bytes → tags, all cores (target < 120 ms)", endToEnd, "end_to_end_default")
        print()
        print("| memory (target: weights + working buffers < 60 MB) | MB |")
        print("|---|---:|")
        print("| weights and biases, resident once per process | \(megabytes(detector.network.weightBytes)) |")
        print("| one pass's workspace, 1 thread | \(megabytes(detector.network.workspaceBytes(threads: 1))) |")
        print(
            "| one pass's workspace, \(cores) threads | \(megabytes(detector.network.workspaceBytes(threads: cores))) |"
        )
    }
}
