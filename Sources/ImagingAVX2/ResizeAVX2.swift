#if arch(x86_64)
    import _Builtin_intrinsics.intel

    /// The horizontal pass of a two-tap resample straight from a row of bytes, one three- or four-channel
    /// output pixel per 128-bit vector: output[x·c + k] = w(x, 0) · row[s·c + k] + w(x, 1) · row[(s + 1)·c + k]
    /// with s = starts[x], as separate products and one sum in that order, so the floats are the ones the
    /// scalar pass computes from the converted row. Each pixel's two taps come from one 8-byte load, widened
    /// to 32-bit lanes by `pshufb`; every pixel is stored as four floats (a three-channel pixel's fourth is
    /// rewritten by the next pixel, and the last lands in the row's slack). 128-bit operations only: on CPUs
    /// that split 256-bit work in two (Zen 1), the lane-crossing permutes a two-pixel form needs cost more
    /// than they save. Returns the first x not done: it stops before a load would end past `available`
    /// bytes from `row`. Only call it where Imaging's `CPUFeatures.hasAVX2` holds.
    @inline(never)
    public func horizontalTwoTapsAVX2(
        _ row: UnsafePointer<UInt8>, available: Int, channels: Int, starts: UnsafePointer<Int>,
        weights: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>, outputWidth: Int
    ) -> Int {
        precondition(channels == 3 || channels == 4)
        let firstTap = _mm_setr_epi8(0, -1, -1, -1, 1, -1, -1, -1, 2, -1, -1, -1, 3, -1, -1, -1)
        let secondTap =
            channels == 3
            ? _mm_setr_epi8(3, -1, -1, -1, 4, -1, -1, -1, 5, -1, -1, -1, 6, -1, -1, -1)
            : _mm_setr_epi8(4, -1, -1, -1, 5, -1, -1, -1, 6, -1, -1, -1, 7, -1, -1, -1)
        var x = 0
        while x < outputWidth, starts[x] &* channels &+ 8 <= available {
            let bytes = _mm_loadl_epi64(
                UnsafeRawPointer(row + starts[x] &* channels).assumingMemoryBound(to: __m128i.self))
            let tap0 = _mm_cvtepi32_ps(_mm_shuffle_epi8(bytes, firstTap))
            let tap1 = _mm_cvtepi32_ps(_mm_shuffle_epi8(bytes, secondTap))
            let sum = _mm_add_ps(
                _mm_mul_ps(_mm_set1_ps(weights[2 &* x]), tap0), _mm_mul_ps(_mm_set1_ps(weights[2 &* x &+ 1]), tap1))
            UnsafeMutableRawPointer(output + x &* channels).storeBytes(of: sum, as: __m128.self)
            x += 1
        }
        return x
    }

    /// output[i] = rounded(wa · a[i] + wb · b[i]) for `count` values, 32 at a time with AVX2 (products, sum and
    /// rounding as the SSE2 blend does them); returns how many it wrote. Only call it where Imaging's
    /// `CPUFeatures.hasAVX2` holds.
    @inline(never)
    public func blendTwoRowsAVX2(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, weights wa: Float, _ wb: Float,
        into output: UnsafeMutablePointer<UInt8>, count: Int
    ) -> Int {
        let (weightA, weightB) = (_mm256_set1_ps(wa), _mm256_set1_ps(wb))
        var index = 0
        while index + 32 <= count {
            @inline(__always) func blend(_ k: Int) -> __m256i {
                let offset = index + 8 * k
                let left = UnsafeRawPointer(a + offset).loadUnaligned(as: __m256.self)
                let right = UnsafeRawPointer(b + offset).loadUnaligned(as: __m256.self)
                return _mm256_cvtps_epi32(_mm256_add_ps(_mm256_mul_ps(weightA, left), _mm256_mul_ps(weightB, right)))
            }
            UnsafeMutableRawPointer(output + index).storeBytes(
                of: packedBytes(blend(0), blend(1), blend(2), blend(3)), as: __m256i.self)
            index += 32
        }
        return index
    }
#endif
