#if arch(x86_64)
    import ImagingAVX2
    import _Builtin_intrinsics.intel
#endif

/// `warpAffine`'s bilinear sampling: output pixel x of a row reads source position (x0 + deltas[x].0,
/// y0 + deltas[x].1) in 1/1024 pixels, rounded to 1/32; taps outside the source take the background's bytes.
struct AffineSampler {
    let source: UnsafePointer<UInt8>
    let width: Int
    let height: Int
    let channels: Int
    let outputWidth: Int
    let fill: [UInt8]
    let deltas: [(Int, Int)]
    /// Eight colour pixels at a time with AVX2 (the caller checked the CPU, the channels and the sizes).
    let vectorized: Bool
    /// The deltas in Int32 for the AVX2 sampler, and the background as one little-endian word.
    private let stepsX: [Int32]
    private let stepsY: [Int32]
    private let fillWord: UInt32

    init(
        source: UnsafePointer<UInt8>, width: Int, height: Int, channels: Int, outputWidth: Int, fill: [UInt8],
        deltas: [(Int, Int)], vectorized: Bool
    ) {
        (self.source, self.width, self.height, self.channels) = (source, width, height, channels)
        (self.outputWidth, self.fill, self.deltas, self.vectorized) = (outputWidth, fill, deltas, vectorized)
        stepsX = vectorized ? deltas.map { Int32($0.0) } : []
        stepsY = vectorized ? deltas.map { Int32($0.1) } : []
        fillWord = fill.reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }

    private var end: UnsafePointer<UInt8> { source + width * height * channels }

    /// Output pixels `columns` of the row at `line`, whose origin is (x0, y0).
    func sample(_ columns: Range<Int>, into line: UnsafeMutablePointer<UInt8>, x0: Int, y0: Int) {
        var x = columns.lowerBound
        while x < columns.upperBound {
            var blockEnd = columns.upperBound
            #if arch(x86_64)
                // Eight at a time while a block lies inside the source or wholly outside; the block that does
                // not (an edge) one by one.
                if vectorized {
                    x = stepsX.withUnsafeBufferPointer { stepsX in
                        stepsY.withUnsafeBufferPointer { stepsY in
                            let sampling = AffineRowSampling(
                                originX: Int32(x0), originY: Int32(y0), stepsX: stepsX.baseAddress!,
                                stepsY: stepsY.baseAddress!)
                            return bilinearAffineRowAVX2(
                                source, width: width, height: height, channels: channels, sampling: sampling,
                                fill: fillWord, into: line, lineWidth: outputWidth, from: x, to: columns.upperBound)
                        }
                    }
                    blockEnd = min(x + 8, columns.upperBound)
                }
            #endif
            for x in x..<blockEnd { sample(x, line: line, x0: x0, y0: y0) }
            x = blockEnd
        }
    }

    @inline(__always)
    private func sample(_ x: Int, line: UnsafeMutablePointer<UInt8>, x0: Int, y0: Int) {
        let fixedX = (x0 + deltas[x].0) >> 5
        let fixedY = (y0 + deltas[x].1) >> 5
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
                // Three or four channels at once; a three-channel pixel's fourth byte is the next
                // output pixel's first (rewritten next), so not at a row's end, and the 4-byte reads
                // must stay inside the source.
                if channels >= 3, x + 1 < outputWidth, q + channels + 4 <= end {
                    interpolate4(p, q, channels: channels, weights: (w00, w01, w10, w11), into: out)
                    return
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
