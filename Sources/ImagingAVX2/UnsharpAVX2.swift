#if arch(x86_64)
    import _Builtin_intrinsics.intel

    /// The unsharp mask's last step for `count` bytes, 32 at a time with AVX2: where |x − blurred| ≥
    /// `threshold`, x + amount · (x − blurred) clamped and rounded to the nearest byte (ties to even, as the
    /// scalar step's clampToByte), else x unchanged; returns how many it wrote. Products and sums are taken
    /// separately in the scalar step's order, so the bytes are the same. The comparison is on the bits: for
    /// a non-negative float, bit order is value order (a negative threshold has a negative pattern, below
    /// every |difference|, as in floats). Only call it where Imaging's `CPUFeatures.hasAVX2` holds.
    @inline(never)
    public func unsharpFinishAVX2(
        original: UnsafePointer<UInt8>, blurred: UnsafePointer<Float>, into output: UnsafeMutablePointer<UInt8>,
        count: Int, amount: Float, threshold: Float
    ) -> Int {
        let amounts = _mm256_set1_ps(amount)
        let thresholdBits = _mm256_set1_epi32(Int32(bitPattern: threshold.bitPattern))
        let magnitude = _mm256_set1_epi32(0x7FFF_FFFF)
        let (zero, top) = (_mm256_setzero_ps(), _mm256_set1_ps(255))
        var index = 0
        while index + 32 <= count {
            @inline(__always) func sharpen(_ k: Int) -> __m256i {
                let offset = index + 8 * k
                let bytes = _mm_cvtsi64_si128(UnsafeRawPointer(original + offset).loadUnaligned(as: Int64.self))
                let values = _mm256_cvtepu8_epi32(bytes)
                let value = _mm256_cvtepi32_ps(values)
                let difference = _mm256_sub_ps(value, UnsafeRawPointer(blurred + offset).loadUnaligned(as: __m256.self))
                let sharpened = _mm256_add_ps(value, _mm256_mul_ps(amounts, difference))
                let rounded = _mm256_cvtps_epi32(_mm256_min_ps(_mm256_max_ps(sharpened, zero), top))
                let below = _mm256_cmpgt_epi32(
                    thresholdBits, _mm256_and_si256(_mm256_castps_si256(difference), magnitude))
                return _mm256_blendv_epi8(rounded, values, below)
            }
            UnsafeMutableRawPointer(output + index).storeBytes(
                of: packedBytes(sharpen(0), sharpen(1), sharpen(2), sharpen(3)), as: __m256i.self)
            index += 32
        }
        return index
    }
#endif
