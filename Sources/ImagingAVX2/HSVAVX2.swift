#if arch(x86_64)
    import _Builtin_intrinsics.intel

    /// OpenCV's 8-bit RGB → HSV for `count` RGB pixels, thirty-two at a time with AVX2; returns how many it
    /// wrote (the rest are the caller's). The same arithmetic as Imaging's SSE2 kernel, on twice the lanes:
    /// the division tables 255·2¹²/v and 180·2¹²/(6·d) computed in float lanes (`vdivps`, rounded to
    /// nearest), products by `vpmulld`. Only call it where Imaging's `CPUFeatures.hasAVX2` holds.
    @inline(never)
    public func hsvRGBAVX2(_ source: UnsafePointer<UInt8>, _ output: UnsafeMutablePointer<UInt8>, count: Int) -> Int {
        let zero = _mm256_setzero_si256()
        let round = _mm256_set1_epi32(2048)
        let saturationScale = _mm256_set1_ps(Float(255 << 12))
        let hueScale = _mm256_set1_ps(Float(180 << 12) / 6)
        let hueWrap = _mm256_set1_epi32(180)
        let shuffle = RGBShuffle()
        @inline(__always) func quarters(_ bytes: __m256i) -> (__m256i, __m256i, __m256i, __m256i) {
            let (low, high) = (_mm256_unpacklo_epi8(bytes, zero), _mm256_unpackhi_epi8(bytes, zero))
            return (
                _mm256_unpacklo_epi16(low, zero), _mm256_unpackhi_epi16(low, zero), _mm256_unpacklo_epi16(high, zero),
                _mm256_unpackhi_epi16(high, zero)
            )
        }
        /// round(scale / d) for d ≠ 0, else 0.
        @inline(__always) func reciprocal(_ scale: __m256, _ d: __m256i) -> __m256i {
            let quotient = _mm256_cvtps_epi32(_mm256_div_ps(scale, _mm256_cvtepi32_ps(d)))
            return _mm256_andnot_si256(_mm256_cmpeq_epi32(d, zero), quotient)
        }
        /// Hue and saturation of eight pixels as 32-bit lanes.
        @inline(__always) func hueSaturation(
            _ r: __m256i, _ g: __m256i, _ b: __m256i, _ v: __m256i, _ d: __m256i
        ) -> (__m256i, __m256i) {
            let saturation = _mm256_srai_epi32(
                _mm256_add_epi32(_mm256_mullo_epi32(d, reciprocal(saturationScale, v)), round), 12)
            let isRed = _mm256_cmpeq_epi32(v, r)
            let isGreen = _mm256_cmpeq_epi32(v, g)
            let d2 = _mm256_add_epi32(d, d)
            let redSector = _mm256_sub_epi32(g, b)
            let greenSector = _mm256_add_epi32(_mm256_sub_epi32(b, r), d2)
            let blueSector = _mm256_add_epi32(_mm256_sub_epi32(r, g), _mm256_add_epi32(d2, d2))
            let otherSector = _mm256_blendv_epi8(blueSector, greenSector, isGreen)
            let sector = _mm256_blendv_epi8(otherSector, redSector, isRed)
            var hue = _mm256_srai_epi32(
                _mm256_add_epi32(_mm256_mullo_epi32(sector, reciprocal(hueScale, d)), round), 12)
            hue = _mm256_add_epi32(hue, _mm256_and_si256(_mm256_srai_epi32(hue, 31), hueWrap))
            return (hue, saturation)
        }
        var index = 0
        while index + 32 <= count {
            let (red, green, blue) = shuffle.planes(source + 3 * index)
            let value = _mm256_max_epu8(red, _mm256_max_epu8(green, blue))
            let difference = _mm256_sub_epi8(value, _mm256_min_epu8(red, _mm256_min_epu8(green, blue)))
            let (r, g, b) = (quarters(red), quarters(green), quarters(blue))
            let (v, d) = (quarters(value), quarters(difference))
            let q0 = hueSaturation(r.0, g.0, b.0, v.0, d.0)
            let q1 = hueSaturation(r.1, g.1, b.1, v.1, d.1)
            let q2 = hueSaturation(r.2, g.2, b.2, v.2, d.2)
            let q3 = hueSaturation(r.3, g.3, b.3, v.3, d.3)
            let hue = _mm256_packus_epi16(_mm256_packs_epi32(q0.0, q1.0), _mm256_packs_epi32(q2.0, q3.0))
            let saturation = _mm256_packus_epi16(_mm256_packs_epi32(q0.1, q1.1), _mm256_packs_epi32(q2.1, q3.1))
            shuffle.interleave(hue, saturation, value, to: output + 3 * index)
            index += 32
        }
        return index
    }
#endif
