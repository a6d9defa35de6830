#if arch(x86_64)
    import _Builtin_intrinsics.intel

    /// output[i] = source[i] > level ? above : below for `count` bytes, 128 at a time with AVX2; returns how
    /// many it wrote (the rest, fewer than 128, are the caller's). Unsigned "greater than" is
    /// max(x, level + 1) == x, so `level` must be below 255 (above 255 nothing is greater). Only call it where
    /// Imaging's `CPUFeatures.hasAVX2` holds.
    @inline(never)
    public func thresholdAVX2(
        _ source: UnsafePointer<UInt8>, _ output: UnsafeMutablePointer<UInt8>, count: Int, level: UInt8,
        above: UInt8, below: UInt8
    ) -> Int {
        precondition(level < 255)
        let next = _mm256_set1_epi8(Int8(bitPattern: level + 1))
        let aboveBytes = _mm256_set1_epi8(Int8(bitPattern: above))
        let belowBytes = _mm256_set1_epi8(Int8(bitPattern: below))
        var index = 0
        while index + 128 <= count {
            for k in 0..<4 {
                let bytes = UnsafeRawPointer(source + index + 32 * k).loadUnaligned(as: __m256i.self)
                let greater = _mm256_cmpeq_epi8(_mm256_max_epu8(bytes, next), bytes)
                UnsafeMutableRawPointer(output + index + 32 * k).storeBytes(
                    of: _mm256_blendv_epi8(belowBytes, aboveBytes, greater), as: __m256i.self)
            }
            index += 128
        }
        return index
    }
#endif
