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
        let outputs = network.forward(input)

        // The first convolution (with its batch norm and leaky ReLU: OpenCV's leaky_1).
        let first = reference["leaky_1"] as! [String: Any]
        for (index, value) in (first["first10"] as! [Double]).enumerated() {
            #expect(abs(Double(outputs[0][index]) - value) <= 1e-3, "leaky_1[\(index)]")
        }
        #expect(abs(Double(outputs[0].max()!) - (first["max"] as! Double)) <= 1e-3)
        #expect(abs(Double(outputs[0].min()!) - (first["min"] as! Double)) <= 1e-3)

        // Both heads, every value.
        for (layer, file) in [(15, "conv_15_raw.f32"), (22, "conv_22_raw.f32")] {
            let expected = try Self.floats(file)
            #expect(outputs[layer].count == expected.count)
            let worst = zip(outputs[layer], expected).map { abs($0 - $1) }.max() ?? .infinity
            #expect(worst <= 1e-3, "layer \(layer): max |diff| \(worst)")
        }
    }
}
