#if arch(x86_64)
    import _Builtin_intrinsics.intel
    import ImagingKernels

    /// Imaging's vertical convolution pass on 32 bytes at a time: each tap's value (the centre row, or the
    /// sum of the rows k above and below) as 16-bit lanes, interleaved with the next tap's, multiplied and
    /// added by `vpmaddwd` with `pairs` (a tap pair's two 16-bit weights packed in one Int32, in steps of
    /// 1/`scale`), then scaled back to float. `rows[k]` for k in −radius…radius are the source rows; returns
    /// how many values it wrote. The same integer sums as the SSE2 pass, so the same floats.
    @inline(never)
    public func verticalConvolutionAVX2(
        rows: UnsafePointer<UnsafePointer<UInt8>>, radius: Int, pairs: UnsafeBufferPointer<Int32>, scale: Float,
        into line: UnsafeMutablePointer<Float>, count: Int
    ) -> Int {
        let zero = _mm256_setzero_si256()
        let inverse = _mm256_set1_ps(1 / scale)
        var i = 0
        // Tap k's 32 values as two vectors of sixteen 16-bit lanes, in order.
        @inline(__always) func widen(_ pointer: UnsafePointer<UInt8>) -> (__m256i, __m256i) {
            let raw = UnsafeRawPointer(pointer)
            return (
                _mm256_cvtepu8_epi16(raw.loadUnaligned(as: __m128i.self)),
                _mm256_cvtepu8_epi16(raw.loadUnaligned(fromByteOffset: 16, as: __m128i.self))
            )
        }
        @inline(__always) func tap(_ k: Int) -> (__m256i, __m256i) {
            if k > radius { return (zero, zero) }
            let above = widen(rows[-k] + i)
            if k == 0 { return above }
            let below = widen(rows[k] + i)
            return (_mm256_add_epi16(above.0, below.0), _mm256_add_epi16(above.1, below.1))
        }
        while i + 32 <= count {
            var (a0, a1, a2, a3) = (zero, zero, zero, zero)
            for (index, packed) in pairs.enumerated() {
                let pair = _mm256_set1_epi32(packed)
                let (low, high) = (tap(2 * index), tap(2 * index + 1))
                a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(_mm256_unpacklo_epi16(low.0, high.0), pair))
                a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(_mm256_unpackhi_epi16(low.0, high.0), pair))
                a2 = _mm256_add_epi32(a2, _mm256_madd_epi16(_mm256_unpacklo_epi16(low.1, high.1), pair))
                a3 = _mm256_add_epi32(a3, _mm256_madd_epi16(_mm256_unpackhi_epi16(low.1, high.1), pair))
            }
            // Within each 128-bit half the unpacks keep order: a0 holds values 0–3 and 8–11, a1 4–7 and
            // 12–15, a2 and a3 the same for 16–31. Each half goes to its place.
            @inline(__always) func store(_ sums: __m256i, at offset: Int) {
                _mm256_storeu2_m128(
                    line + i + offset + 8, line + i + offset, _mm256_mul_ps(_mm256_cvtepi32_ps(sums), inverse))
            }
            store(a0, at: 0)
            store(a1, at: 4)
            store(a2, at: 16)
            store(a3, at: 20)
            i += 32
        }
        return i
    }

    /// Imaging's horizontal pass (`HorizontalConvolution`) with 8-float lanes, 32 outputs a step. Returns how
    /// many values it wrote.
    @inline(never)
    public func horizontalConvolutionAVX2(
        _ line: UnsafeMutablePointer<Float>, channels: Int, weights: UnsafePointer<Float>, radius: Int,
        into blurred: UnsafeMutablePointer<Float>, count: Int
    ) -> Int {
        HorizontalConvolution.apply(
            SIMD8<Float>.self, line, channels: channels, weights: weights, radius: radius, into: blurred, count: count)
    }
#endif
