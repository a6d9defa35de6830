#if arch(x86_64)
    import _Builtin_intrinsics.intel

    /// OpenCV's luma, Y = (9798 R + 19235 G + 3735 B + 2¹⁴) >> 15, for `count` RGB pixels, thirty-two at a
    /// time with AVX2; returns how many it wrote (the rest, fewer than thirty-two, are the caller's). Each
    /// 128-bit half takes sixteen pixels: `vpshufb` gathers their R, G and B bytes from the three 16-byte
    /// loads, then `vpmaddwd` weighs (R, G) and (B, 1) pairs as the SSE2 kernel does, so the bytes are the same.
    /// Only call it where `ImagingCPU.hasAVX2` holds: this module is compiled for Haswell.
    @inline(never)
    public func lumaRGBAVX2(_ source: UnsafePointer<UInt8>, _ output: UnsafeMutablePointer<UInt8>, count: Int) -> Int {
        let zero = _mm256_setzero_si256()
        let one = _mm256_set1_epi16(1)
        let redGreen = _mm256_set1_epi32(Int32(19235 << 16 | 9798))
        let blueRound = _mm256_set1_epi32(Int32(16384 << 16 | 3735))
        // Shuffle masks per 16-byte load: bytes of one channel from load k, -1 (zero) elsewhere.
        func mask(_ channel: Int, _ load: Int) -> __m256i {
            var bytes = [Int8](repeating: -1, count: 16)
            for pixel in 0..<16 {
                let offset = 3 * pixel + channel - 16 * load
                if (0..<16).contains(offset) { bytes[pixel] = Int8(offset) }
            }
            let half = _mm_loadu_si128(bytes.withUnsafeBytes { $0.baseAddress!.assumingMemoryBound(to: __m128i.self) })
            return _mm256_broadcastsi128_si256(half)
        }
        let masks = (0..<3).map { channel in (0..<3).map { load in mask(channel, load) } }
        @inline(__always) func load(_ pixel: Int, _ part: Int) -> __m256i {
            // Pixels `pixel …` in the low half, `pixel + 16 …` in the high half.
            let low = UnsafeRawPointer(source + 3 * pixel + 16 * part).loadUnaligned(as: __m128i.self)
            let high = UnsafeRawPointer(source + 3 * (pixel + 16) + 16 * part).loadUnaligned(as: __m128i.self)
            return _mm256_set_m128i(high, low)
        }
        @inline(__always) func weigh(_ red: __m256i, _ green: __m256i, _ blue: __m256i) -> __m256i {
            let low = _mm256_add_epi32(
                _mm256_madd_epi16(_mm256_unpacklo_epi16(red, green), redGreen),
                _mm256_madd_epi16(_mm256_unpacklo_epi16(blue, one), blueRound))
            let high = _mm256_add_epi32(
                _mm256_madd_epi16(_mm256_unpackhi_epi16(red, green), redGreen),
                _mm256_madd_epi16(_mm256_unpackhi_epi16(blue, one), blueRound))
            return _mm256_packs_epi32(_mm256_srli_epi32(low, 15), _mm256_srli_epi32(high, 15))
        }
        let (r0, r1, r2) = (masks[0][0], masks[0][1], masks[0][2])
        let (g0, g1, g2) = (masks[1][0], masks[1][1], masks[1][2])
        let (b0, b1, b2) = (masks[2][0], masks[2][1], masks[2][2])
        var index = 0
        while index + 32 <= count {
            let (a, b, c) = (load(index, 0), load(index, 1), load(index, 2))
            let red = _mm256_or_si256(
                _mm256_or_si256(_mm256_shuffle_epi8(a, r0), _mm256_shuffle_epi8(b, r1)), _mm256_shuffle_epi8(c, r2))
            let green = _mm256_or_si256(
                _mm256_or_si256(_mm256_shuffle_epi8(a, g0), _mm256_shuffle_epi8(b, g1)), _mm256_shuffle_epi8(c, g2))
            let blue = _mm256_or_si256(
                _mm256_or_si256(_mm256_shuffle_epi8(a, b0), _mm256_shuffle_epi8(b, b1)), _mm256_shuffle_epi8(c, b2))
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
