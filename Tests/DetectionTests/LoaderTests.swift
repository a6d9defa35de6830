import Contracts
import Foundation
import Primitives
import TestImages
import Testing
import Wire

@testable import Detection

@Suite(.offCooperativePool) struct LoaderTests {
    static func fixture(_ name: String) throws -> [UInt8] {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures"))
        return [UInt8](try Data(contentsOf: url))
    }

    static func config() throws -> DarknetConfig {
        try DarknetConfig(text: String(decoding: fixture("yolov3-tiny.cfg"), as: UTF8.self))
    }

    /// A weights file: the version 0.2 header and `floats` values.
    static func weightsFile(_ floats: [Float], major: Int32 = 0, minor: Int32 = 2) -> [UInt8] {
        var bytes: [UInt8] = []
        for value in [major, minor, 0] { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
        if major * 10 + minor >= 2 {
            withUnsafeBytes(of: Int64(0)) { bytes += $0 }
        } else {
            withUnsafeBytes(of: Int32(0)) { bytes += $0 }
        }
        for value in floats { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 } }
        return bytes
    }

    @Test func parsesYOLOv3TinyWithEveryShape() throws {
        let config = try Self.config()
        #expect(config.inputWidth == 416 && config.inputHeight == 416 && config.inputChannels == 3)
        #expect(config.layers.count == 24)
        #expect(config.weightCount == 8_858_734)  // MODEL.md: the floats after the header
        // The two heads: 13×13 and 26×26, 255 channels each.
        #expect(config.shapes[16] == .init(channels: 255, height: 13, width: 13))
        #expect(config.shapes[23] == .init(channels: 255, height: 26, width: 26))
        // The size-2 stride-1 maxpool keeps 13×13.
        #expect(config.layers[11] == .maxpool(size: 2, stride: 1))
        #expect(config.shapes[11].height == 13)
        // The route after the first head goes back to layer 13; the second concatenates 19 and 8.
        #expect(config.layers[17] == .route(layers: [13]))
        #expect(config.layers[20] == .route(layers: [19, 8]))
        #expect(config.shapes[20].channels == 384)
        guard case .yolo(let mask, let anchors, let classes) = config.layers[16] else {
            Issue.record("layer 16 is not yolo")
            return
        }
        #expect(mask == [3, 4, 5] && classes == 80 && anchors == [10, 14, 23, 27, 37, 58, 81, 82, 135, 169, 344, 319])
    }

    @Test func unknownLayersAndBadValuesAreTypedErrors() {
        let base = "[net]\nwidth=8\nheight=8\nchannels=3\n"
        #expect(throws: DetectionError.unknownLayer(name: "shortcut", line: 5)) {
            try DarknetConfig(text: base + "[shortcut]\nfrom=-3\n")
        }
        for bad in [
            base + "[convolutional]\nfilters=x\nsize=3\n",
            base + "[convolutional]\nfilters=4\nsize=3\nactivation=mish\n",
            base + "[route]\nlayers=-1\n",
            base + "[convolutional]\nfilters=4\nsize=9\n",
            "[convolutional]\nfilters=4\n",
            base + "filters=4\n[maxpool\n",
        ] {
            #expect(throws: DetectionError.self) { try DarknetConfig(text: bad) }
        }
    }

    @Test func weightsOfTheRightLengthLoadAndOthersAreRefused() throws {
        let config = try Self.config()
        let count = config.weightCount
        let exact = Self.weightsFile([Float](repeating: 0.5, count: count))
        let weights = try DarknetWeights(bytes: exact, config: config)
        #expect(weights.convolutions.count == 13)
        #expect(weights.convolutions[0]?.weights.count == 16 * 3 * 3 * 3)
        #expect(throws: DetectionError.truncatedWeights(expectedFloats: count, actualFloats: count - 1)) {
            try DarknetWeights(bytes: Array(exact.dropLast(4)), config: config)
        }
        #expect(throws: DetectionError.truncatedWeights(expectedFloats: count, actualFloats: 0)) {
            try DarknetWeights(bytes: [1, 2, 3], config: config)
        }
        #expect(throws: DetectionError.weightsMismatch(expectedFloats: count, actualFloats: count + 10)) {
            try DarknetWeights(bytes: exact + [UInt8](repeating: 0, count: 40), config: config)
        }
        #expect(throws: DetectionError.self) { try DarknetWeights(bytes: Array(exact.dropLast(2)), config: config) }
    }

    @Test func batchNormIsFoldedIntoTheWeights() throws {
        let config = try DarknetConfig(
            text:
                "[net]\nwidth=4\nheight=4\nchannels=1\n[convolutional]\nbatch_normalize=1\nfilters=2\nsize=1\nstride=1\npad=0\nactivation=leaky\n"
        )
        #expect(config.weightCount == 2 * 4 + 2)
        // biases, scales, means, variances, weights (filter 0, filter 1).
        let file = Self.weightsFile([0.5, -1, 2, 3, 0.25, -0.5, 4, 1, 10, 20], major: 0, minor: 1)
        let convolution = try #require(try DarknetWeights(bytes: file, config: config).convolutions[0])
        let factors: [Float] = [
            2 / (4 + DarknetWeights.epsilon).squareRoot(), 3 / (1 + DarknetWeights.epsilon).squareRoot(),
        ]
        #expect(abs(convolution.weights[0] - 10 * factors[0]) < 1e-5)
        #expect(abs(convolution.weights[1] - 20 * factors[1]) < 1e-5)
        #expect(abs(convolution.biases[0] - (0.5 - 0.25 * factors[0])) < 1e-5)
        #expect(abs(convolution.biases[1] - (-1 + 0.5 * factors[1])) < 1e-5)
    }

    @Test func missingOrAlteredModelFilesNameTheFileAndTheFix() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("models-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        do {
            _ = try ModelFiles(folder: folder)
            Issue.record("an empty folder loaded")
        } catch let error as DetectionError {
            #expect(error == .missingModelFile(path: "\(folder)/yolov3-tiny.cfg"))
            #expect(error.description.contains("scripts/fetch_model.sh"))
        }
        // The shipped cfg and names pass their checks; a weights file of the wrong bytes does not.
        try Data(Self.fixture("yolov3-tiny.cfg")).write(to: URL(fileURLWithPath: "\(folder)/yolov3-tiny.cfg"))
        try Data(Self.fixture("coco.names")).write(to: URL(fileURLWithPath: "\(folder)/coco.names"))
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: "\(folder)/yolov3-tiny.weights"))
        do {
            _ = try ModelFiles(folder: folder)
            Issue.record("altered weights loaded")
        } catch let error as DetectionError {
            guard case .corruptModelFile(let path, _, let actual) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(path.hasSuffix("yolov3-tiny.weights") && actual == Crypto.hex(Crypto.sha256([1, 2, 3])))
        }
        // With the weights check relaxed, the names come out as 80 classes, `motorbike` at index 3.
        var relaxed = ModelFiles.expected
        relaxed[1].sha256 = Crypto.hex(Crypto.sha256([1, 2, 3]))
        let files = try ModelFiles(folder: folder, expected: relaxed)
        #expect(files.names.count == 80 && files.names[3] == "motorbike" && files.names[0] == "person")
    }
}

/// The real model, fetched by `make test`'s set-up (scripts/fetch_model.sh) into ./models.
@Suite(.offCooperativePool) struct ModelTests {
    static var folder: String { TestImages.modelFolder }

    @Test func theFetchedModelVerifiesAndLoads() throws {
        let files = try ModelFiles(folder: Self.folder)
        let config = try DarknetConfig(text: String(decoding: files.config, as: UTF8.self))
        let weights = try DarknetWeights(bytes: files.weights, config: config)
        #expect(files.weights.count == 20 + 4 * config.weightCount)
        #expect(weights.convolutions.count == 13)
        #expect(weights.convolutions[15]?.biases.count == 255)
        // Folded weights are finite and not all zero.
        let first = try #require(weights.convolutions[0])
        #expect(first.weights.allSatisfy { $0.isFinite } && first.weights.contains { $0 != 0 })
    }
}
