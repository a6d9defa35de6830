import COpenBLAS
import Foundation

/// YOLOv3-tiny's forward pass: convolutions as im2col + OpenBLAS SGEMM (batch norm folded at load),
/// leaky ReLU 0.1, darknet max-pooling, route, nearest upsampling. Stateless between calls, so one
/// network serves many tasks at once.
public struct Network: Sendable {
    public let config: DarknetConfig
    public let weights: DarknetWeights

    public init(config: DarknetConfig, weights: DarknetWeights) {
        self.config = config
        self.weights = weights
    }

    /// How many threads OpenBLAS uses for every network in the process (it defaults to all cores); 1 is
    /// the single-thread mode for comparisons.
    public static func setThreads(_ count: Int) { openblas_set_num_threads(Int32(max(1, count))) }

    /// Runs the network on a CHW float input of the cfg's size; returns every layer's output (CHW).
    public func forward(_ input: [Float]) -> [[Float]] {
        precondition(input.count == config.inputChannels * config.inputHeight * config.inputWidth, "input size")
        var outputs: [[Float]] = []
        outputs.reserveCapacity(config.layers.count)
        var shape = DarknetConfig.Shape(
            channels: config.inputChannels, height: config.inputHeight, width: config.inputWidth)
        var current = input
        for (index, layer) in config.layers.enumerated() {
            let output: [Float]
            switch layer {
            case .convolutional(let filters, let size, let stride, let pad, _, let activation):
                output = convolve(
                    current, shape: shape, layer: index, filters: filters, size: size, stride: stride, pad: pad,
                    leaky: activation == .leaky)
            case .maxpool(let size, let stride):
                output = maxpool(current, shape: shape, size: size, stride: stride, into: config.shapes[index])
            case .route(let layers):
                output = layers.flatMap { outputs[$0] }
            case .upsample(let stride):
                output = upsample(current, shape: shape, stride: stride)
            case .yolo:
                output = current
            }
            outputs.append(output)
            current = output
            shape = config.shapes[index]
        }
        return outputs
    }

    private func convolve(
        _ input: [Float], shape: DarknetConfig.Shape, layer: Int, filters: Int, size: Int, stride: Int, pad: Int,
        leaky: Bool
    ) -> [Float] {
        let out = config.shapes[layer]
        let columns = out.height * out.width
        let depth = shape.channels * size * size
        let convolution = weights.convolutions[layer]!
        var output = [Float](repeating: 0, count: filters * columns)
        // A 1×1, stride-1 convolution multiplies the input as it is; others unfold it first.
        let unfolded =
            size == 1 && stride == 1 && pad == 0
            ? input : im2col(input, shape: shape, size: size, stride: stride, pad: pad, out: out)
        convolution.weights.withUnsafeBufferPointer { w in
            unfolded.withUnsafeBufferPointer { x in
                output.withUnsafeMutableBufferPointer { y in
                    cblas_sgemm(
                        CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(filters), Int32(columns), Int32(depth), 1,
                        w.baseAddress, Int32(depth), x.baseAddress, Int32(columns), 0, y.baseAddress, Int32(columns))
                }
            }
        }
        output.withUnsafeMutableBufferPointer { y in
            for filter in 0..<filters {
                let bias = convolution.biases[filter]
                let row = y.baseAddress! + filter * columns
                if leaky {
                    for i in 0..<columns {
                        let value = row[i] + bias
                        row[i] = value > 0 ? value : 0.1 * value
                    }
                } else {
                    for i in 0..<columns { row[i] += bias }
                }
            }
        }
        return output
    }

    /// Rows (channel, ky, kx) × columns (output y, x), zeros where the window leaves the input.
    private func im2col(
        _ input: [Float], shape: DarknetConfig.Shape, size: Int, stride: Int, pad: Int, out: DarknetConfig.Shape
    ) -> [Float] {
        let columns = out.height * out.width
        var unfolded = [Float](repeating: 0, count: shape.channels * size * size * columns)
        input.withUnsafeBufferPointer { x in
            unfolded.withUnsafeMutableBufferPointer { u in
                for channel in 0..<shape.channels {
                    let plane = x.baseAddress! + channel * shape.height * shape.width
                    for ky in 0..<size {
                        for kx in 0..<size {
                            let row = u.baseAddress! + ((channel * size + ky) * size + kx) * columns
                            for oy in 0..<out.height {
                                let iy = oy * stride + ky - pad
                                guard iy >= 0, iy < shape.height else { continue }
                                let line = plane + iy * shape.width
                                let target = row + oy * out.width
                                for ox in 0..<out.width {
                                    let ix = ox * stride + kx - pad
                                    if ix >= 0 && ix < shape.width { target[ox] = line[ix] }
                                }
                            }
                        }
                    }
                }
            }
        }
        return unfolded
    }

    /// Darknet's max-pool: windows start at x · stride, and what falls outside the input is ignored.
    private func maxpool(
        _ input: [Float], shape: DarknetConfig.Shape, size: Int, stride: Int, into out: DarknetConfig.Shape
    )
        -> [Float]
    {
        [Float](unsafeUninitializedCapacity: out.channels * out.height * out.width) { output, count in
            input.withUnsafeBufferPointer { input in
                for channel in 0..<shape.channels {
                    let plane = input.baseAddress! + channel * shape.height * shape.width
                    let target = output.baseAddress! + channel * out.height * out.width
                    for oy in 0..<out.height {
                        let rows = min(size, shape.height - oy * stride)
                        for ox in 0..<out.width {
                            let columns = min(size, shape.width - ox * stride)
                            var best = -Float.infinity
                            for ky in 0..<rows {
                                let line = plane + (oy * stride + ky) * shape.width + ox * stride
                                for kx in 0..<columns { best = max(best, line[kx]) }
                            }
                            target[oy * out.width + ox] = best
                        }
                    }
                }
            }
            count = out.channels * out.height * out.width
        }
    }

    private func upsample(_ input: [Float], shape: DarknetConfig.Shape, stride: Int) -> [Float] {
        let width = shape.width * stride
        let height = shape.height * stride
        var output = [Float](repeating: 0, count: shape.channels * height * width)
        for channel in 0..<shape.channels {
            for y in 0..<height {
                for x in 0..<width {
                    output[(channel * height + y) * width + x] =
                        input[(channel * shape.height + y / stride) * shape.width + x / stride]
                }
            }
        }
        return output
    }
}
