import Foundation

/// A symmetric 1-D kernel of odd length, applied along rows and then columns.
struct SymmetricKernel: Equatable {
    /// Weights from the centre outwards: `half[0]` is the centre tap; they sum to 1 over the full kernel.
    /// At least two entries (radius ≥ 1).
    let half: [Float]

    var radius: Int { half.count - 1 }

    /// OpenCV's Gaussian for 8-bit images: size round(6σ + 1), made odd.
    static func gaussian(sigma: Double) -> SymmetricKernel {
        let size = Int((sigma * 6 + 1).rounded()) | 1
        let radius = max(1, size / 2)
        let raw = (0...radius).map { exp(-Double($0 * $0) / (2 * sigma * sigma)) }
        let total = raw[0] + 2 * raw.dropFirst().reduce(0, +)
        return SymmetricKernel(half: raw.map { Float($0 / total) })
    }

    static func box(radius: Int) -> SymmetricKernel {
        SymmetricKernel(half: [Float](repeating: 1 / Float(2 * radius + 1), count: radius + 1))
    }
}

/// What happens to each convolved value before it is stored.
enum ConvolutionFinish {
    /// Store the convolution (a blur).
    case blur
    /// source + amount · (source − blur) where |source − blur| ≥ threshold, else source; alpha untouched.
    case unsharp(amount: Float, threshold: Float)
}

/// Mirrors an index into 0..<count the way OpenCV's BORDER_REFLECT_101 does (gfedcb|abcdefgh|gfedcba).
@inline(__always)
func reflect101(_ index: Int, _ count: Int) -> Int {
    if count == 1 { return 0 }
    var index = index
    while index < 0 || index >= count {
        index = index < 0 ? -index : 2 * count - 2 - index
    }
    return index
}

extension PixelBuffer {
    /// Convolves with `kernel` along both axes, one output row at a time: a vertical pass into a padded
    /// float row, then a horizontal pass out of it. Memory beyond the result: one row per thread.
    func convolved(with kernel: SymmetricKernel, finish: ConvolutionFinish, parallelism: Parallelism) -> PixelBuffer {
        let (width, height, channels) = (self.width, self.height, self.channels)
        let radius = kernel.radius
        let rowBytes = self.rowBytes
        let paddedBytes = (width + 2 * radius) * channels
        let rowIndex = (-radius..<height + radius).map { reflect101($0, height) }
        let columnIndex = (-radius..<width + radius).map { reflect101($0, width) }
        let colorChannels = layout.colorChannels
        return PixelBuffer(width: width, height: height, layout: layout) { output in
            pixels.withUnsafeBufferPointer { source in
                kernel.half.withUnsafeBufferPointer { weights in
                    parallelism.forEachRange(height, grain: 16) { band in
                        let padded = UnsafeMutablePointer<Float>.allocate(capacity: paddedBytes)
                        let blurred = UnsafeMutablePointer<Float>.allocate(capacity: rowBytes)
                        defer {
                            padded.deallocate()
                            blurred.deallocate()
                        }
                        for y in band {
                            let line = padded + radius * channels
                            // Vertical: the centre row, then pairs of rows at equal distance.
                            let center = source.baseAddress! + rowIndex[y + radius] * rowBytes
                            let w0 = weights[0]
                            for i in 0..<rowBytes { line[i] = w0 * Float(center[i]) }
                            for k in 1...radius {
                                let above = source.baseAddress! + rowIndex[y + radius - k] * rowBytes
                                let below = source.baseAddress! + rowIndex[y + radius + k] * rowBytes
                                let weight = weights[k]
                                for i in 0..<rowBytes { line[i] += weight * (Float(above[i]) + Float(below[i])) }
                            }
                            // Borders of the padded row, mirrored.
                            for column in 0..<radius {
                                for channel in 0..<channels {
                                    padded[column * channels + channel] =
                                        line[columnIndex[column] * channels + channel]
                                    let right = width + radius + column
                                    padded[right * channels + channel] = line[columnIndex[right] * channels + channel]
                                }
                            }
                            // Horizontal, contiguous over the interleaved channels.
                            for i in 0..<rowBytes { blurred[i] = w0 * line[i] }
                            for k in 1...radius {
                                let left = line - k * channels
                                let right = line + k * channels
                                let weight = weights[k]
                                for i in 0..<rowBytes { blurred[i] += weight * (left[i] + right[i]) }
                            }
                            let out = output + y * rowBytes
                            let original = source.baseAddress! + y * rowBytes
                            switch finish {
                            case .blur:
                                for i in 0..<rowBytes { out[i] = clampToByte(blurred[i]) }
                            case .unsharp(let amount, let threshold):
                                for i in 0..<rowBytes {
                                    let value = Float(original[i])
                                    let difference = value - blurred[i]
                                    out[i] =
                                        abs(difference) >= threshold
                                        ? clampToByte(value + amount * difference) : original[i]
                                }
                                if colorChannels != channels {
                                    for x in 0..<width {
                                        out[x * channels + colorChannels] = original[x * channels + colorChannels]
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
