import Foundation

#if arch(x86_64)
    import _Builtin_intrinsics.intel
#endif

extension PixelBuffer {
    /// The image rotated `degrees` counter-clockwise about its centre. Multiples of 90° move pixels exactly
    /// (when `expand` is set or the image is square); other angles sample bilinearly with OpenCV's
    /// `warpAffine` arithmetic (1/32-pixel positions, 15-bit weights). `expand` grows the canvas to hold the
    /// whole result; uncovered pixels are `background`.
    public func rotated(
        degrees: Double, expand: Bool = true, background: Color? = nil, parallelism: Parallelism = .allCores
    ) throws(ImagingError) -> PixelBuffer {
        guard degrees.isFinite, abs(degrees) <= 36_000 else {
            throw .invalidParameter(operation: "rotate", message: "degrees must be a finite angle, got \(degrees)")
        }
        let turn = degrees.truncatingRemainder(dividingBy: 360)
        let normalized = turn < 0 ? turn + 360 : turn
        if normalized == 0 { return self }
        if normalized.truncatingRemainder(dividingBy: 90) == 0, expand || width == height || normalized == 180 {
            return rotated(RightAngle(rawValue: Int(normalized))!, parallelism: parallelism)
        }
        let fill = (background ?? (layout.hasAlpha ? .transparent : .black)).bytes(for: layout)
        let radians = normalized * Double.pi / 180
        let (cosine, sine) = (cos(radians), sin(radians))
        var outputWidth = width
        var outputHeight = height
        let centerX = Double(width) / 2
        let centerY = Double(height) / 2
        // getRotationMatrix2D(centre, degrees, 1), then a shift onto the expanded canvas.
        var m = [
            cosine, sine, (1 - cosine) * centerX - sine * centerY, -sine, cosine,
            sine * centerX + (1 - cosine) * centerY,
        ]
        if expand {
            outputWidth = Int((Double(height) * abs(sine) + Double(width) * abs(cosine)).rounded(.up))
            outputHeight = Int((Double(height) * abs(cosine) + Double(width) * abs(sine)).rounded(.up))
            m[2] += Double(outputWidth) / 2 - centerX
            m[5] += Double(outputHeight) / 2 - centerY
        }
        guard outputWidth * outputHeight <= 4 * DecodeOptions.defaultPixelLimit else {
            throw .tooManyPixels(width: outputWidth, height: outputHeight, limit: 4 * DecodeOptions.defaultPixelLimit)
        }
        return warpedAffine(
            inverse: Self.inverted(m), width: outputWidth, height: outputHeight, fill: fill, parallelism: parallelism)
    }

    /// The inverse of a 2×3 affine matrix, as warpAffine computes it.
    private static func inverted(_ m: [Double]) -> [Double] {
        let determinant = m[0] * m[4] - m[1] * m[3]
        let d = determinant != 0 ? 1 / determinant : 0
        let (a11, a22) = (m[4] * d, m[0] * d)
        let (a12, a21) = (-m[1] * d, -m[3] * d)
        return [a11, a12, -a11 * m[2] - a12 * m[5], a21, a22, -a21 * m[2] - a22 * m[5]]
    }

    private func warpedAffine(
        inverse m: [Double], width outputWidth: Int, height outputHeight: Int, fill: [UInt8], parallelism: Parallelism
    ) -> PixelBuffer {
        let (width, height, channels) = (self.width, self.height, self.channels)
        let scale = 1024.0  // AB_SCALE
        let roundDelta = 16  // AB_SCALE / INTER_TAB_SIZE / 2
        let xDeltas = (0..<outputWidth).map {
            (
                Int((m[0] * Double($0) * scale).rounded(.toNearestOrEven)),
                Int((m[3] * Double($0) * scale).rounded(.toNearestOrEven))
            )
        }
        return PixelBuffer(width: outputWidth, height: outputHeight, layout: layout) { output in
            pixels.withUnsafeBufferPointer { source in
                let source = source.baseAddress!
                let end = source + width * height * channels
                parallelism.forEachRange(outputHeight, grain: 8) { rows in
                    for y in rows {
                        let x0 = Int(((m[1] * Double(y) + m[2]) * scale).rounded(.toNearestOrEven)) + roundDelta
                        let y0 = Int(((m[4] * Double(y) + m[5]) * scale).rounded(.toNearestOrEven)) + roundDelta
                        let line = output + y * outputWidth * channels
                        for x in 0..<outputWidth {
                            let fixedX = (x0 + xDeltas[x].0) >> 5
                            let fixedY = (y0 + xDeltas[x].1) >> 5
                            let sx = fixedX >> 5
                            let sy = fixedY >> 5
                            let fx = fixedX & 31
                            let fy = fixedY & 31
                            let out = line + x * channels
                            // Weights (32 − f)·(32 − g)·32 and so on sum to 2¹⁵ exactly.
                            let w00 = (32 - fx) * (32 - fy) * 32
                            let w01 = fx * (32 - fy) * 32
                            let w10 = (32 - fx) * fy * 32
                            let w11 = fx * fy * 32
                            if sx >= 0, sy >= 0, sx < width - 1, sy < height - 1 {
                                let p = source + (sy * width + sx) * channels
                                let q = p + width * channels
                                #if arch(x86_64)
                                    // Three or four channels at once; a three-channel pixel's fourth byte is
                                    // the next output pixel's first (rewritten next), so not at a row's end,
                                    // and the 4-byte reads must stay inside the source.
                                    if channels >= 3, x + 1 < outputWidth, q + channels + 4 <= end {
                                        interpolate4(p, q, channels: channels, weights: (w00, w01, w10, w11), into: out)
                                        continue
                                    }
                                #endif
                                for c in 0..<channels {
                                    let sum =
                                        w00 * Int(p[c]) + w01 * Int(p[c + channels]) + w10 * Int(q[c]) + w11
                                        * Int(q[c + channels])
                                    out[c] = UInt8((sum + 16_384) >> 15)
                                }
                            } else if sx >= width || sx + 1 < 0 || sy >= height || sy + 1 < 0 {
                                for c in 0..<channels { out[c] = fill[c] }
                            } else {
                                for c in 0..<channels {
                                    func tap(_ tx: Int, _ ty: Int) -> Int {
                                        tx >= 0 && ty >= 0 && tx < width && ty < height
                                            ? Int(source[(ty * width + tx) * channels + c]) : Int(fill[c])
                                    }
                                    let sum =
                                        w00 * tap(sx, sy) + w01 * tap(sx + 1, sy) + w10 * tap(sx, sy + 1) + w11
                                        * tap(sx + 1, sy + 1)
                                    out[c] = UInt8((sum + 16_384) >> 15)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#if arch(x86_64)
    /// One bilinear sample of four bytes (three or four channels) with `warpAffine`'s weights
    /// (w00, w01, w10, w11), halved so they fit signed 16-bit lanes (all are multiples of 32, so halving is
    /// exact and (Σ + 2¹⁴) >> 15 becomes (Σ/2 + 2¹³) >> 14): `pmaddwd` takes the (left, right) byte pairs of
    /// the upper and lower source rows.
    @inline(__always)
    private func interpolate4(
        _ p: UnsafePointer<UInt8>, _ q: UnsafePointer<UInt8>, channels: Int, weights: (Int, Int, Int, Int),
        into out: UnsafeMutablePointer<UInt8>
    ) {
        let zero = _mm_setzero_si128()
        @inline(__always) func pairs(_ row: UnsafePointer<UInt8>) -> __m128i {
            let left = _mm_cvtsi32_si128(UnsafeRawPointer(row).loadUnaligned(as: Int32.self))
            let right = _mm_cvtsi32_si128(UnsafeRawPointer(row + channels).loadUnaligned(as: Int32.self))
            return _mm_unpacklo_epi16(_mm_unpacklo_epi8(left, zero), _mm_unpacklo_epi8(right, zero))
        }
        @inline(__always) func halved(_ left: Int, _ right: Int) -> __m128i {
            _mm_set1_epi32(Int32(truncatingIfNeeded: (right >> 1) << 16 | left >> 1))
        }
        let upper = halved(weights.0, weights.1)
        let lower = halved(weights.2, weights.3)
        let sum = _mm_add_epi32(_mm_madd_epi16(pairs(p), upper), _mm_madd_epi16(pairs(q), lower))
        let shifted = _mm_srai_epi32(_mm_add_epi32(sum, _mm_set1_epi32(8192)), 14)
        let bytes = _mm_packus_epi16(_mm_packs_epi32(shifted, zero), zero)
        UnsafeMutableRawPointer(out).storeBytes(of: _mm_cvtsi128_si32(bytes), as: Int32.self)
    }
#endif
