#if arch(x86_64)
    import _Builtin_intrinsics.intel

    /// The horizontal pass of a two-tap resample straight from a row of bytes, two three- or four-channel
    /// output pixels at a time with AVX2: output[x·c + k] = w(x, 0) · row[s·c + k] + w(x, 1) · row[(s + 1)·c + k]
    /// with s = starts[x], as separate products and one sum in that order, so the floats are the ones the
    /// scalar pass computes from the converted row. Each 128-bit half takes one output pixel (its two taps
    /// from one 8-byte load), four pixels a step. Returns the first x not done: it stops before a load would
    /// end past `available` bytes from `row`, or fewer than four pixels before `outputWidth`. Only call it
    /// where Imaging's `CPUFeatures.hasAVX2` holds.
    @inline(never)
    public func horizontalTwoTapsAVX2(
        _ row: UnsafePointer<UInt8>, available: Int, channels: Int, starts: UnsafePointer<Int>,
        weights: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>, outputWidth: Int
    ) -> Int {
        precondition(channels == 3 || channels == 4)
        // Bytes 0–7 are pixel x's two taps, 8–15 pixel x + 1's; arranged as (x tap 0, x + 1 tap 0, x tap 1,
        // x + 1 tap 1), four bytes each (a three-channel pixel's fourth is zero).
        let arrange =
            channels == 3
            ? _mm_setr_epi8(0, 1, 2, -1, 8, 9, 10, -1, 3, 4, 5, -1, 11, 12, 13, -1)
            : _mm_setr_epi8(0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 12, 13, 14, 15)
        let firstTap = _mm256_setr_epi32(0, 0, 0, 0, 2, 2, 2, 2)
        let secondTap = _mm256_setr_epi32(1, 1, 1, 1, 3, 3, 3, 3)
        @inline(__always) func pair(_ x: Int) -> __m256 {
            let both = _mm_set_epi64x(
                UnsafeRawPointer(row + starts[x + 1] &* channels).loadUnaligned(as: Int64.self),
                UnsafeRawPointer(row + starts[x] &* channels).loadUnaligned(as: Int64.self))
            let taps = _mm_shuffle_epi8(both, arrange)
            let tap0 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(taps))
            let tap1 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_unpackhi_epi64(taps, taps)))
            let w = _mm256_castps128_ps256(UnsafeRawPointer(weights + 2 &* x).loadUnaligned(as: __m128.self))
            return _mm256_add_ps(
                _mm256_mul_ps(_mm256_permutevar8x32_ps(w, firstTap), tap0),
                _mm256_mul_ps(_mm256_permutevar8x32_ps(w, secondTap), tap1))
        }
        // Three channels: four pixels' 12 floats as one 32-byte and one 16-byte store (stores that overlap or
        // cross cache lines often are what the pass waits on).
        let firstSix = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 0, 1)
        let lastSix = _mm256_setr_epi32(2, 4, 5, 6, 0, 0, 0, 0)
        let lastTwo = _mm256_castsi256_ps(_mm256_setr_epi32(0, 0, 0, 0, 0, 0, -1, -1))
        var x = 0
        while x + 4 <= outputWidth, starts[x + 3] &* channels &+ 8 <= available {
            let (low, high) = (pair(x), pair(x + 2))
            let out = UnsafeMutableRawPointer(output + x &* channels)
            if channels == 4 {
                out.storeBytes(of: low, as: __m256.self)
                out.storeBytes(of: high, toByteOffset: 32, as: __m256.self)
            } else {
                // (x, x + 1) three floats each, then x + 2's first two; x + 2's last and x + 3.
                let highFirst = _mm256_permutevar8x32_ps(high, firstSix)
                let head = _mm256_blendv_ps(_mm256_permutevar8x32_ps(low, firstSix), highFirst, lastTwo)
                out.storeBytes(of: head, as: __m256.self)
                out.storeBytes(
                    of: _mm256_castps256_ps128(_mm256_permutevar8x32_ps(high, lastSix)), toByteOffset: 32,
                    as: __m128.self)
            }
            x += 4
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
