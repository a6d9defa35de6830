#if arch(x86_64)
    import _Builtin_intrinsics.intel

    /// OpenCV's luma, Y = (9798 R + 19235 G + 3735 B + 2¹⁴) >> 15, for `count` RGB pixels, thirty-two at a
    /// time with AVX2; returns how many it wrote (the rest, fewer than thirty-two, are the caller's). Each
    /// 128-bit half takes sixteen pixels: `vpshufb` gathers their R, G and B bytes (`RGBShuffle`), then
    /// `vpmaddwd` weighs (R, G) and (B, 1) pairs as the SSE2 kernel does, so the bytes are the same.
    /// Only call it where Imaging's `CPUFeatures.hasAVX2` holds: this module is compiled for Haswell.
    @inline(never)
    public func lumaRGBAVX2(_ source: UnsafePointer<UInt8>, _ output: UnsafeMutablePointer<UInt8>, count: Int) -> Int {
        let zero = _mm256_setzero_si256()
        let one = _mm256_set1_epi16(1)
        let redGreen = _mm256_set1_epi32(Int32(19235 << 16 | 9798))
        let blueRound = _mm256_set1_epi32(Int32(16384 << 16 | 3735))
        let shuffle = RGBShuffle()
        @inline(__always) func weigh(_ red: __m256i, _ green: __m256i, _ blue: __m256i) -> __m256i {
            let low = _mm256_add_epi32(
                _mm256_madd_epi16(_mm256_unpacklo_epi16(red, green), redGreen),
                _mm256_madd_epi16(_mm256_unpacklo_epi16(blue, one), blueRound))
            let high = _mm256_add_epi32(
                _mm256_madd_epi16(_mm256_unpackhi_epi16(red, green), redGreen),
                _mm256_madd_epi16(_mm256_unpackhi_epi16(blue, one), blueRound))
            return _mm256_packs_epi32(_mm256_srli_epi32(low, 15), _mm256_srli_epi32(high, 15))
        }
        var index = 0
        while index + 32 <= count {
            let (red, green, blue) = shuffle.planes(source + 3 * index)
            let low = weigh(
                _mm256_unpacklo_epi8(red, zero), _mm256_unpacklo_epi8(green, zero), _mm256_unpacklo_epi8(blue, zero))
            let high = weigh(
                _mm256_unpackhi_epi8(red, zero), _mm256_unpackhi_epi8(green, zero), _mm256_unpackhi_epi8(blue, zero))
            UnsafeMutableRawPointer(output + index).storeBytes(of: _mm256_packus_epi16(low, high), as: __m256i.self)
            index += 32
        }
        return index
    }
#endif
