import Foundation
import ImagingKernels

#if arch(x86_64)
    import _Builtin_intrinsics.intel
    import ImagingAVX2
#endif

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
        // The centre is 1 whatever sigma is: for a sigma so small that its square is 0, 0/0 would make
        // every weight NaN (and the fixed-point conversion trap); the other taps are then exp(−∞) = 0.
        let raw = (0...radius).map { $0 == 0 ? 1 : exp(-Double($0 * $0) / (2 * sigma * sigma)) }
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
    /// float row, then a horizontal pass out of it. Memory beyond the result: one row per thread. `avx2`
    /// picks the AVX2 passes (the same floats); tests pass both.
    func convolved(
        with kernel: SymmetricKernel, finish: ConvolutionFinish, parallelism: Parallelism,
        avx2: Bool = CPUFeatures.hasAVX2
    ) -> PixelBuffer {
        let (width, height, channels) = (self.width, self.height, self.channels)
        let radius = kernel.radius
        let rowBytes = self.rowBytes
        let paddedBytes = (width + 2 * radius) * channels
        let rowIndex = (-radius..<height + radius).map { reflect101($0, height) }
        let columnIndex = (-radius..<width + radius).map { reflect101($0, width) }
        let colorChannels = layout.colorChannels
        #if arch(x86_64)
            let fixedWeights = FixedPointKernel(kernel)
        #endif
        return PixelBuffer(width: width, height: height, layout: layout) { output in
            pixels.withUnsafeBufferPointer { source in
                kernel.half.withUnsafeBufferPointer { weights in
                    parallelism.forEachRange(height, grain: 16) { band in
                        let padded = UnsafeMutablePointer<Float>.allocate(capacity: paddedBytes)
                        let blurred = UnsafeMutablePointer<Float>.allocate(capacity: rowBytes)
                        let rows = UnsafeMutablePointer<UnsafePointer<UInt8>>.allocate(capacity: 2 * radius + 1)
                        defer {
                            padded.deallocate()
                            blurred.deallocate()
                            rows.deallocate()
                        }
                        for y in band {
                            let line = padded + radius * channels
                            // Vertical: the centre row, then pairs of rows at equal distance.
                            for k in -radius...radius {
                                rows[k + radius] = UnsafePointer(
                                    source.baseAddress! + rowIndex[y + radius + k] * rowBytes)
                            }
                            var done = 0
                            #if arch(x86_64)
                                if avx2 {
                                    done = fixedWeights.packed.withUnsafeBufferPointer { pairs in
                                        verticalConvolutionAVX2(
                                            rows: rows + radius, radius: radius, pairs: pairs,
                                            scale: FixedPointKernel.scale, into: line, count: rowBytes)
                                    }
                                } else {
                                    done = verticalConvolution(
                                        rows: rows + radius, radius: radius, weights: fixedWeights, into: line,
                                        count: rowBytes)
                                }
                            #endif
                            let w0 = weights[0]
                            for i in done..<rowBytes { line[i] = w0 * Float(rows[radius][i]) }
                            for k in 1...radius {
                                let (above, below) = (rows[radius - k], rows[radius + k])
                                let weight = weights[k]
                                for i in done..<rowBytes { line[i] += weight * (Float(above[i]) + Float(below[i])) }
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
                            var horizontal = 0
                            #if arch(x86_64)
                                if avx2 {
                                    horizontal = horizontalConvolutionAVX2(
                                        line, channels: channels, weights: weights.baseAddress!, radius: radius,
                                        into: blurred, count: rowBytes)
                                }
                            #endif
                            horizontalConvolution(
                                line + horizontal, channels: channels, weights: weights.baseAddress!, radius: radius,
                                into: blurred + horizontal, count: rowBytes - horizontal)
                            let out = output + y * rowBytes
                            let original = source.baseAddress! + y * rowBytes
                            switch finish {
                            case .blur:
                                storeRounded(blurred, to: out, count: rowBytes)
                            case .unsharp(let amount, let threshold):
                                var sharpened = 0
                                #if arch(x86_64)
                                    if avx2 {
                                        sharpened = unsharpFinishAVX2(
                                            original: original, blurred: blurred, into: out, count: rowBytes,
                                            amount: amount, threshold: threshold)
                                    }
                                #endif
                                for i in sharpened..<rowBytes {
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

/// The horizontal pass (`HorizontalConvolution`, sixteen outputs a step) and its last few outputs.
@inline(__always)
private func horizontalConvolution(
    _ line: UnsafeMutablePointer<Float>, channels: Int, weights: UnsafePointer<Float>, radius: Int,
    into blurred: UnsafeMutablePointer<Float>, count: Int
) {
    let done = HorizontalConvolution.apply(
        SIMD4<Float>.self, line, channels: channels, weights: weights, radius: radius, into: blurred, count: count)
    for index in done..<count {
        var sum = weights[0] * line[index]
        for k in 1...radius { sum += weights[k] * (line[index - k * channels] + line[index + k * channels]) }
        blurred[index] = sum
    }
}

#if arch(x86_64)
    /// A kernel's half in steps of 1/32767 (the largest weight, at most 1, fits a signed 16-bit lane), in
    /// pairs of taps for `pmaddwd`: (w₀, w₁), (w₂, w₃), … each pair repeated over a vector's four 32-bit
    /// lanes; a missing last tap weighs 0.
    private struct FixedPointKernel {
        static let scale: Float = 32767
        /// Each pair's two weights packed in one 32-bit value (low half first), for the AVX2 pass.
        let packed: [Int32]
        let pairs: [__m128i]

        init(_ kernel: SymmetricKernel) {
            var fixed = kernel.half.map { Int32(($0 * Self.scale).rounded()) }
            // The centre takes the rounding's remainder, so the weights still sum to exactly 1.
            fixed[0] = Int32(Self.scale) - 2 * fixed.dropFirst().reduce(0, +)
            packed = stride(from: 0, to: fixed.count, by: 2).map { k in
                (k + 1 < fixed.count ? fixed[k + 1] : 0) << 16 | fixed[k]
            }
            pairs = packed.map { _mm_set1_epi32($0) }
        }
    }

    /// The vertical pass for sixteen bytes at a time in 16-bit integers: each tap's value (the centre
    /// row, or the sum of the two rows k above and below, at most 510) is interleaved with the next
    /// tap's and `pmaddwd` multiplies and adds both in 32-bit lanes; the sum is scaled back to float.
    /// `rows[k]` for k in −radius…radius are the source rows; returns how many values it wrote.
    private func verticalConvolution(
        rows: UnsafeMutablePointer<UnsafePointer<UInt8>>, radius: Int, weights: FixedPointKernel,
        into line: UnsafeMutablePointer<Float>, count: Int
    ) -> Int {
        let zero = _mm_setzero_si128()
        let scale = _mm_set1_ps(1 / FixedPointKernel.scale)
        return weights.pairs.withUnsafeBufferPointer { pairs in
            var i = 0
            // Tap k's sixteen values as two vectors of eight 16-bit lanes.
            @inline(__always) func tap(_ k: Int) -> (__m128i, __m128i) {
                if k > radius { return (zero, zero) }
                let above = UnsafeRawPointer(rows[-k] + i).loadUnaligned(as: __m128i.self)
                if k == 0 { return (_mm_unpacklo_epi8(above, zero), _mm_unpackhi_epi8(above, zero)) }
                let below = UnsafeRawPointer(rows[k] + i).loadUnaligned(as: __m128i.self)
                return (
                    _mm_add_epi16(_mm_unpacklo_epi8(above, zero), _mm_unpacklo_epi8(below, zero)),
                    _mm_add_epi16(_mm_unpackhi_epi8(above, zero), _mm_unpackhi_epi8(below, zero))
                )
            }
            while i + 16 <= count {
                var (a0, a1, a2, a3) = (zero, zero, zero, zero)
                for (index, pair) in pairs.enumerated() {
                    let (low, high) = (tap(2 * index), tap(2 * index + 1))
                    a0 = _mm_add_epi32(a0, _mm_madd_epi16(_mm_unpacklo_epi16(low.0, high.0), pair))
                    a1 = _mm_add_epi32(a1, _mm_madd_epi16(_mm_unpackhi_epi16(low.0, high.0), pair))
                    a2 = _mm_add_epi32(a2, _mm_madd_epi16(_mm_unpacklo_epi16(low.1, high.1), pair))
                    a3 = _mm_add_epi32(a3, _mm_madd_epi16(_mm_unpackhi_epi16(low.1, high.1), pair))
                }
                let out = UnsafeMutableRawPointer(line + i)
                out.storeBytes(of: _mm_mul_ps(_mm_cvtepi32_ps(a0), scale), as: __m128.self)
                out.storeBytes(of: _mm_mul_ps(_mm_cvtepi32_ps(a1), scale), toByteOffset: 16, as: __m128.self)
                out.storeBytes(of: _mm_mul_ps(_mm_cvtepi32_ps(a2), scale), toByteOffset: 32, as: __m128.self)
                out.storeBytes(of: _mm_mul_ps(_mm_cvtepi32_ps(a3), scale), toByteOffset: 48, as: __m128.self)
                i += 16
            }
            return i
        }
    }
#endif
