import Foundation
import Imaging
import TestImages
import Testing

@testable import Detection

/// The forward pass against OpenCV DNN's layer outputs for the same input blob (refbench's
/// yolo_layer_check on scenetext01.jpg; the 416×416 resize ships as a PNG, the two heads' raw outputs as
/// float32 files).
@Suite(.offCooperativePool) struct ForwardTests {
    static func json() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(LoaderTests.fixture("layer_check.json"))) as! [String: Any]
    }

    static func floats(_ name: String) throws -> [Float] {
        try LoaderTests.fixture(name).withUnsafeBytes { raw in
            (0..<raw.count / 4).map {
                Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)))
            }
        }
    }

    @Test func layerOutputsMatchOpenCV() throws {
        let files = try ModelFiles(folder: ModelTests.folder)
        let config = try DarknetConfig(text: String(decoding: files.config, as: UTF8.self))
        let network = Network(config: config, weights: try DarknetWeights(bytes: files.weights, config: config))
        let image = try ImageCodec.decode(LoaderTests.fixture("scenetext01_416.png"))
        let input = Detector.blob(image)
        let reference = try Self.json()
        let blob = reference["blob"] as! [String: Any]
        #expect(abs(input.reduce(0.0) { $0 + Double($1) } - (blob["sum"] as! Double)) < 1e-2)
        let outputs = network.forward(input, keeping: [0, 15, 22])

        // The first convolution (with its batch norm and leaky ReLU: OpenCV's leaky_1).
        let first = reference["leaky_1"] as! [String: Any]
        for (index, value) in (first["first10"] as! [Double]).enumerated() {
            #expect(abs(Double(outputs[0]![index]) - value) <= 1e-3, "leaky_1[\(index)]")
        }
        #expect(abs(Double(outputs[0]!.max()!) - (first["max"] as! Double)) <= 1e-3)
        #expect(abs(Double(outputs[0]!.min()!) - (first["min"] as! Double)) <= 1e-3)

        // Both heads, every value.
        for (layer, file) in [(15, "conv_15_raw.f32"), (22, "conv_22_raw.f32")] {
            let expected = try Self.floats(file)
            let output = outputs[layer] ?? []
            #expect(output.count == expected.count)
            let worst = zip(output, expected).map { abs($0 - $1) }.max() ?? .infinity
            #expect(worst <= 1e-3, "layer \(layer): max |diff| \(worst)")
        }
    }

    /// Workers split bands of rows in early layers and filters in late ones; every layer they compute
    /// (kept whole here, pooled or not) agrees with the single-thread pass.
    @Test func threadedPassesAgreeWithTheSingleThreadPass() throws {
        let files = try ModelFiles(folder: ModelTests.folder)
        let config = try DarknetConfig(text: String(decoding: files.config, as: UTF8.self))
        let network = Network(config: config, weights: try DarknetWeights(bytes: files.weights, config: config))
        let input = Detector.blob(try ImageCodec.decode(LoaderTests.fixture("scenetext01_416.png")))
        let layers: Set<Int> = [0, 2, 8, 12, 15, 20, 22]
        let single = network.forward(input, keeping: layers)
        for threads in [2, 3] {
            let threaded = network.forward(input, keeping: layers, parallelism: Parallelism(threads: threads))
            for layer in layers {
                let a = single[layer] ?? []
                let b = threaded[layer] ?? []
                #expect(!a.isEmpty && a.count == b.count)
                let worst = zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
                #expect(worst <= 1e-4, "layer \(layer), \(threads) threads: max |diff| \(worst)")
            }
        }
    }
}
