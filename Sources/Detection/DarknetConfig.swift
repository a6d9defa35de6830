import Foundation

/// A darknet `.cfg` for the layers YOLOv3-tiny uses, with every layer's output shape worked out.
public struct DarknetConfig: Sendable, Equatable {
    public enum Activation: String, Sendable, Equatable {
        case leaky
        case linear
    }

    public enum Layer: Sendable, Equatable {
        case convolutional(filters: Int, size: Int, stride: Int, pad: Int, batchNormalize: Bool, activation: Activation)
        case maxpool(size: Int, stride: Int)
        /// Absolute indices of the layers whose outputs are concatenated along channels.
        case route(layers: [Int])
        case upsample(stride: Int)
        case yolo(mask: [Int], anchors: [Int], classes: Int)
    }

    /// Channels × height × width of a layer's output.
    public struct Shape: Sendable, Equatable {
        public var channels: Int
        public var height: Int
        public var width: Int
    }

    public var inputWidth: Int
    public var inputHeight: Int
    public var inputChannels: Int
    public var layers: [Layer]
    public var shapes: [Shape]

    /// Parses cfg text: `[section]` lines, `key=value` lines, `#` and `;` comments.
    public init(text: String) throws(DetectionError) {
        var sections: [(name: String, line: Int, values: [String: (value: String, line: Int)])] = []
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
                .split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)[0]
                .trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]") else { throw .invalidConfig(line: number + 1, message: "unclosed section") }
                sections.append((String(line.dropFirst().dropLast()), number + 1, [:]))
                continue
            }
            guard let equals = line.firstIndex(of: "="), !sections.isEmpty else {
                throw .invalidConfig(line: number + 1, message: "expected key=value inside a section")
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            sections[sections.count - 1].values[key] = (value, number + 1)
        }
        guard let net = sections.first, net.name == "net" || net.name == "network" else {
            throw .invalidConfig(line: 1, message: "the cfg must start with [net]")
        }
        func integer(
            _ values: [String: (value: String, line: Int)], _ key: String, _ line: Int, default value: Int? = nil
        )
            throws(DetectionError) -> Int
        {
            guard let entry = values[key] else {
                guard let value else { throw .invalidConfig(line: line, message: "missing \(key)") }
                return value
            }
            guard let number = Int(entry.value), number >= 0, number <= 100_000 else {
                throw .invalidConfig(line: entry.line, message: "\(key) must be a small non-negative integer")
            }
            return number
        }
        func integers(_ values: [String: (value: String, line: Int)], _ key: String, _ line: Int)
            throws(DetectionError) -> [Int]
        {
            guard let entry = values[key] else { throw .invalidConfig(line: line, message: "missing \(key)") }
            var out: [Int] = []
            for part in entry.value.split(separator: ",") {
                guard let number = Int(part.trimmingCharacters(in: .whitespaces)) else {
                    throw .invalidConfig(line: entry.line, message: "\(key) must be a list of integers")
                }
                out.append(number)
            }
            return out
        }
        inputWidth = try integer(net.values, "width", net.line)
        inputHeight = try integer(net.values, "height", net.line)
        inputChannels = try integer(net.values, "channels", net.line, default: 3)
        guard inputWidth > 0, inputHeight > 0, inputChannels > 0 else {
            throw .invalidConfig(line: net.line, message: "width, height and channels must be positive")
        }
        layers = []
        shapes = []
        var current = Shape(channels: inputChannels, height: inputHeight, width: inputWidth)
        for section in sections.dropFirst() {
            let values = section.values
            let layer: Layer
            switch section.name {
            case "convolutional":
                let filters = try integer(values, "filters", section.line)
                let size = try integer(values, "size", section.line, default: 1)
                let stride = try integer(values, "stride", section.line, default: 1)
                let pad = try integer(values, "pad", section.line, default: 0) != 0 ? size / 2 : 0
                let batchNormalize = try integer(values, "batch_normalize", section.line, default: 0) != 0
                let activationName = values["activation"]?.value ?? "linear"
                guard let activation = Activation(rawValue: activationName) else {
                    throw .invalidConfig(
                        line: values["activation"]?.line ?? section.line,
                        message: "unsupported activation \(activationName)")
                }
                guard filters > 0, size > 0, stride > 0 else {
                    throw .invalidConfig(line: section.line, message: "filters, size and stride must be positive")
                }
                layer = .convolutional(
                    filters: filters, size: size, stride: stride, pad: pad, batchNormalize: batchNormalize,
                    activation: activation)
                current = Shape(
                    channels: filters, height: (current.height + 2 * pad - size) / stride + 1,
                    width: (current.width + 2 * pad - size) / stride + 1)
            case "maxpool":
                let size = try integer(values, "size", section.line, default: 2)
                let stride = try integer(values, "stride", section.line, default: 2)
                guard size > 0, stride > 0 else {
                    throw .invalidConfig(line: section.line, message: "size and stride must be positive")
                }
                layer = .maxpool(size: size, stride: stride)
                // Darknet pads by size − 1 in total, so a stride-1 pool keeps the size.
                current = Shape(
                    channels: current.channels, height: (current.height + size - 1 - size) / stride + 1,
                    width: (current.width + size - 1 - size) / stride + 1)
            case "route":
                let index = layers.count
                var absolute: [Int] = []
                for relative in try integers(values, "layers", section.line) {
                    let target = relative < 0 ? index + relative : relative
                    guard target >= 0, target < index else {
                        throw .invalidConfig(line: section.line, message: "route to a layer that does not exist")
                    }
                    absolute.append(target)
                }
                guard let first = absolute.first else {
                    throw .invalidConfig(line: section.line, message: "empty route")
                }
                let height = shapes[first].height
                let width = shapes[first].width
                guard absolute.allSatisfy({ shapes[$0].height == height && shapes[$0].width == width }) else {
                    throw .invalidConfig(line: section.line, message: "routed layers differ in size")
                }
                layer = .route(layers: absolute)
                current = Shape(channels: absolute.reduce(0) { $0 + shapes[$1].channels }, height: height, width: width)
            case "upsample":
                let stride = try integer(values, "stride", section.line, default: 2)
                guard stride > 0 else { throw .invalidConfig(line: section.line, message: "stride must be positive") }
                layer = .upsample(stride: stride)
                current = Shape(
                    channels: current.channels, height: current.height * stride, width: current.width * stride)
            case "yolo":
                let mask = try integers(values, "mask", section.line)
                let anchors = try integers(values, "anchors", section.line)
                let classes = try integer(values, "classes", section.line)
                guard anchors.count % 2 == 0, mask.allSatisfy({ $0 >= 0 && $0 < anchors.count / 2 }),
                    current.channels == mask.count * (5 + classes)
                else {
                    throw .invalidConfig(line: section.line, message: "mask, anchors and classes do not fit the input")
                }
                layer = .yolo(mask: mask, anchors: anchors, classes: classes)
            default:
                throw .unknownLayer(name: section.name, line: section.line)
            }
            guard current.height > 0, current.width > 0 else {
                throw .invalidConfig(line: section.line, message: "the layer's output has no pixels")
            }
            layers.append(layer)
            shapes.append(current)
        }
    }

    /// Input channels of layer `index`.
    public func inputChannels(of index: Int) -> Int { index == 0 ? inputChannels : shapes[index - 1].channels }

    /// How many floats the weights file must hold after its header.
    public var weightCount: Int {
        layers.indices.reduce(0) { total, index in
            guard case .convolutional(let filters, let size, _, _, let batchNormalize, _) = layers[index] else {
                return total
            }
            return total + filters * (batchNormalize ? 4 : 1) + filters * inputChannels(of: index) * size * size
        }
    }
}
