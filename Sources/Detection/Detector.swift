import Foundation
import Imaging

/// One object found in an image: its class, confidence, and box in the original image's pixels.
public struct Detection: Sendable, Equatable, Codable {
    public struct Box: Sendable, Equatable, Codable {
        public var x: Double
        public var y: Double
        public var width: Double
        public var height: Double
    }

    public var label: String
    public var classIndex: Int
    public var confidence: Double
    public var box: Box
}

/// A tag as TagSvc stores it: a label, how many times it was found, and the best confidence.
public struct DetectedTag: Sendable, Equatable, Codable {
    public var tag: String
    public var count: Int
    public var confidence: Double
}

/// YOLOv3-tiny end to end, as OpenCV's `blobFromImage(1/255, 416×416, swapRB, crop=false)` + region layer
/// + per-class NMS: a plain resize to the network size, RGB planes scaled to 0…1, the heads decoded,
/// confidences (objectness × class probability) above `threshold` kept, overlaps above `nmsThreshold`
/// removed per class.
public struct Detector: Sendable {
    public let network: Network
    public let names: [String]
    /// Default 0.25.
    public var threshold: Double
    /// Default 0.45.
    public var nmsThreshold: Double
    /// Threads a forward pass uses (default all cores; `.single` for comparisons).
    public var parallelism: Parallelism = .allCores

    public init(files: ModelFiles, threshold: Double = 0.25, nmsThreshold: Double = 0.45) throws {
        let config = try DarknetConfig(text: String(decoding: files.config, as: UTF8.self))
        network = Network(config: config, weights: try DarknetWeights(bytes: files.weights, config: config))
        names = files.names
        self.threshold = threshold
        self.nmsThreshold = nmsThreshold
    }

    /// Objects in `image` (any size; gray and alpha are handled), boxes in its pixels.
    public func detect(_ image: PixelBuffer) -> [Detection] {
        detect(blob: blob(for: image), width: image.width, height: image.height)
    }

    /// Objects in encoded JPEG or PNG bytes. A JPEG much larger than the network input is decoded at
    /// 1/2, 1/4 or 1/8 scale (never below the input size); boxes are in the full image's pixels,
    /// upright (EXIF orientation applied).
    public func detect(bytes: [UInt8], pixelLimit: Int = DecodeOptions.defaultPixelLimit) throws -> [Detection] {
        try detection(in: bytes, pixelLimit: pixelLimit).found
    }

    /// `detect(bytes:)` and the upright image's size, from the header it reads anyway.
    public func detection(in bytes: [UInt8], pixelLimit: Int = DecodeOptions.defaultPixelLimit) throws -> (
        width: Int, height: Int, found: [Detection]
    ) {
        let header = try ImageCodec.header(of: bytes)
        let options = DecodeOptions(
            pixelLimit: pixelLimit, minimumSize: (network.config.inputWidth, network.config.inputHeight))
        let image = try ImageCodec.decode(bytes, options: options).oriented(header.orientation)
        let (width, height) = header.orientedSize
        return (width, height, detect(blob: blob(for: image), width: width, height: height))
    }

    /// The network's input for any image: RGB, resized with a plain two-tap bilinear as blobFromImage
    /// does (the network was trained on such inputs), planes scaled to 0…1.
    public func blob(for image: PixelBuffer, parallelism: Parallelism = .allCores) -> [Float] {
        let color = image.withColor().droppingAlpha()
        return Self.blob(
            color.resampled(
                width: network.config.inputWidth, height: network.config.inputHeight, filter: .bilinear,
                antialias: false, parallelism: parallelism))
    }

    /// Objects for a prepared input blob (CHW, 0…1) of an image of `width` × `height`.
    public func detect(blob: [Float], width: Int, height: Int) -> [Detection] {
        let candidates = network.withHeads(blob, parallelism: parallelism) { heads in
            var candidates: [Detection] = []
            for (index, layer) in network.config.layers.enumerated() {
                guard case .yolo(let mask, let anchors, let classes) = layer, let head = heads[index] else { continue }
                candidates += decode(
                    head, shape: network.config.shapes[index], mask: mask, anchors: anchors, classes: classes,
                    width: width, height: height)
            }
            return candidates
        }
        return Self.suppress(candidates, threshold: nmsThreshold)
    }

    /// NCHW float32 / 255 of an RGB image, red plane first.
    public static func blob(_ image: PixelBuffer) -> [Float] {
        let plane = image.width * image.height
        var blob = [Float](repeating: 0, count: 3 * plane)
        image.pixels.withUnsafeBufferPointer { pixels in
            blob.withUnsafeMutableBufferPointer { out in
                for index in 0..<plane {
                    for channel in 0..<3 { out[channel * plane + index] = Float(pixels[index * 3 + channel]) / 255 }
                }
            }
        }
        return blob
    }

    private func decode(
        _ output: UnsafeBufferPointer<Float>, shape: DarknetConfig.Shape, mask: [Int], anchors: [Int], classes: Int,
        width: Int,
        height: Int
    ) -> [Detection] {
        let (rows, columns) = (shape.height, shape.width)
        let plane = rows * columns
        let inputWidth = Double(network.config.inputWidth)
        let inputHeight = Double(network.config.inputHeight)
        func sigmoid(_ value: Float) -> Double { 1 / (1 + exp(-Double(value))) }
        var found: [Detection] = []
        for (slot, anchor) in mask.enumerated() {
            let base = slot * (5 + classes) * plane
            for y in 0..<rows {
                for x in 0..<columns {
                    let cell = y * columns + x
                    let objectness = sigmoid(output[base + 4 * plane + cell])
                    // A confidence is objectness × a class probability below 1: none passes if objectness
                    // does not. The sigmoid rises, so the best class is the one with the largest logit.
                    guard objectness > threshold else { continue }
                    var bestLogit = -Float.infinity
                    var bestClass = 0
                    for klass in 0..<classes where output[base + (5 + klass) * plane + cell] > bestLogit {
                        bestLogit = output[base + (5 + klass) * plane + cell]
                        bestClass = klass
                    }
                    let best = objectness * sigmoid(bestLogit)
                    guard best > threshold else { continue }
                    let centerX = (Double(x) + sigmoid(output[base + cell])) / Double(columns)
                    let centerY = (Double(y) + sigmoid(output[base + plane + cell])) / Double(rows)
                    let boxWidth =
                        exp(Double(output[base + 2 * plane + cell])) * Double(anchors[2 * anchor]) / inputWidth
                    let boxHeight =
                        exp(Double(output[base + 3 * plane + cell])) * Double(anchors[2 * anchor + 1]) / inputHeight
                    found.append(
                        Detection(
                            label: bestClass < names.count ? names[bestClass] : "class\(bestClass)",
                            classIndex: bestClass,
                            confidence: best,
                            box: .init(
                                x: (centerX - boxWidth / 2) * Double(width),
                                y: (centerY - boxHeight / 2) * Double(height),
                                width: boxWidth * Double(width), height: boxHeight * Double(height))))
                }
            }
        }
        return found
    }

    /// Greedy non-maximum suppression per class, highest confidence first.
    static func suppress(_ detections: [Detection], threshold: Double) -> [Detection] {
        var kept: [Detection] = []
        for candidate in detections.sorted(by: { $0.confidence > $1.confidence }) {
            let overlaps = kept.contains {
                $0.classIndex == candidate.classIndex && intersectionOverUnion($0.box, candidate.box) > threshold
            }
            if !overlaps { kept.append(candidate) }
        }
        return kept
    }

    static func intersectionOverUnion(_ a: Detection.Box, _ b: Detection.Box) -> Double {
        let width = max(0, min(a.x + a.width, b.x + b.width) - max(a.x, b.x))
        let height = max(0, min(a.y + a.height, b.y + b.height) - max(a.y, b.y))
        let intersection = width * height
        let union = a.width * a.height + b.width * b.height - intersection
        return union > 0 ? intersection / union : 0
    }

    /// Label → count and best confidence (two persons → `person` ×2), sorted by label.
    public static func tags(_ detections: [Detection]) -> [DetectedTag] {
        var tags: [String: DetectedTag] = [:]
        for detection in detections {
            tags[detection.label, default: DetectedTag(tag: detection.label, count: 0, confidence: 0)].count += 1
            tags[detection.label]!.confidence = max(tags[detection.label]!.confidence, detection.confidence)
        }
        return tags.values.sorted { $0.tag < $1.tag }
    }
}
