/// The convolution weights of a darknet network, with batch norm folded in at load:
/// w' = w · γ / √(σ² + ε), b' = β − μ · γ / √(σ² + ε).
public struct DarknetWeights: Sendable {
    /// One convolution: `filters × inputChannels × size × size` weights, row-major by filter, and one bias
    /// per filter.
    public struct Convolution: Sendable, Equatable {
        public var weights: [Float]
        public var biases: [Float]
    }

    /// By layer index; only convolutional layers have an entry.
    public var convolutions: [Int: Convolution]

    /// Darknet's batch-norm epsilon (the value OpenCV's results match best, see MODEL.md).
    public static let epsilon: Float = 1e-6

    /// Reads a `.weights` file for `config`: a 16- or 20-byte header (major, minor, revision, seen), then
    /// each convolution's biases, batch-norm scales, means and variances (when it has batch norm), and
    /// weights, as little-endian float32. The length must match the cfg exactly.
    public init(bytes: [UInt8], config: DarknetConfig) throws(DetectionError) {
        let expected = config.weightCount
        guard bytes.count >= 12 else { throw .truncatedWeights(expectedFloats: expected, actualFloats: 0) }
        func int32(_ offset: Int) -> Int32 {
            Int32(
                bitPattern: UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
                    | UInt32(bytes[offset + 3]) << 24)
        }
        let (major, minor) = (int32(0), int32(4))
        guard (0..<1000).contains(major), (0..<1000).contains(minor) else {
            throw .weightsMismatch(expectedFloats: expected, actualFloats: 0)
        }
        // From version 0.2 on, `seen` is 64-bit.
        let header = major * 10 + minor >= 2 ? 20 : 16
        let payload = max(0, bytes.count - header)
        let actual = payload / 4
        guard payload % 4 == 0 else { throw .weightsMismatch(expectedFloats: expected, actualFloats: actual) }
        if actual < expected { throw .truncatedWeights(expectedFloats: expected, actualFloats: actual) }
        if actual > expected { throw .weightsMismatch(expectedFloats: expected, actualFloats: actual) }

        var offset = header
        func floats(_ count: Int) -> [Float] {
            let values = (0..<count).map { index -> Float in
                let at = offset + index * 4
                let bits =
                    UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3])
                    << 24
                return Float(bitPattern: bits)
            }
            offset += count * 4
            return values
        }
        var convolutions: [Int: Convolution] = [:]
        for (index, layer) in config.layers.enumerated() {
            guard case .convolutional(let filters, let size, _, _, let batchNormalize, _) = layer else { continue }
            var biases = floats(filters)
            let perFilter = config.inputChannels(of: index) * size * size
            if batchNormalize {
                let scales = floats(filters)
                let means = floats(filters)
                let variances = floats(filters)
                var weights = floats(filters * perFilter)
                for filter in 0..<filters {
                    let factor = scales[filter] / (variances[filter] + Self.epsilon).squareRoot()
                    for k in 0..<perFilter { weights[filter * perFilter + k] *= factor }
                    biases[filter] -= means[filter] * factor
                }
                convolutions[index] = Convolution(weights: weights, biases: biases)
            } else {
                convolutions[index] = Convolution(weights: floats(filters * perFilter), biases: biases)
            }
        }
        self.convolutions = convolutions
    }
}
