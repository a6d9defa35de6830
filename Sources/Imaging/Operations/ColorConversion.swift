#if arch(x86_64)
    import _Builtin_intrinsics.intel
    import ImagingAVX2
#endif

extension PixelBuffer {
    public func converted(_ mode: ColorMode, parallelism: Parallelism = .allCores) -> PixelBuffer {
        switch mode {
        case .gray: grayscale(parallelism: parallelism)
        case .hsv: hsv(parallelism: parallelism)
        case .sepia: sepia(parallelism: parallelism)
        case .invert: inverted()
        }
    }

    /// Gray (or gray + alpha) by Y = (9798 R + 19235 G + 3735 B + 2¹⁴) >> 15, bit for bit OpenCV's.
    public func grayscale(parallelism: Parallelism = .allCores) -> PixelBuffer {
        guard layout.isColor else { return self }
        let channels = self.channels
        let alpha = layout.hasAlpha
        return PixelBuffer(width: width, height: height, layout: alpha ? .grayAlpha : .gray) { output in
            pixels.withUnsafeBufferPointer { source in
                let source = source.baseAddress!
                parallelism.forEachRange(pixelCount, grain: 65_536) { range in
                    if alpha {
                        for index in range {
                            let pixel = source + index * 4
                            output[index * 2] = luma(pixel[0], pixel[1], pixel[2])
                            output[index * 2 + 1] = pixel[3]
                        }
                    } else {
                        // Three bytes in, one out: sixteen pixels at a time, then the rest one by one.
                        var start = range.lowerBound
                        #if arch(x86_64)
                            if CPUFeatures.hasAVX2 {
                                start += lumaRGBAVX2(source + start * 3, output + start, count: range.count)
                            }
                            start += lumaRGB(source + start * 3, output + start, count: range.upperBound - start)
                        #endif
                        var pixel = source + start * channels
                        for index in start..<range.upperBound {
                            output[index] = luma(pixel[0], pixel[1], pixel[2])
                            pixel += 3
                        }
                    }
                }
            }
        }
    }

    /// HSV exactly as OpenCV's 8-bit RGB→HSV (hue range 180, 12-bit fixed-point division tables).
    public func hsv(parallelism: Parallelism = .allCores) -> PixelBuffer {
        let source = withColor()
        let channels = source.channels
        return PixelBuffer(width: width, height: height, layout: source.layout) { output in
            HSVTables.shared.saturation.withUnsafeBufferPointer { saturationTable in
                HSVTables.shared.hue.withUnsafeBufferPointer { hueTable in
                    source.pixels.withUnsafeBufferPointer { input in
                        let input = input.baseAddress!
                        parallelism.forEachRange(pixelCount, grain: 65_536) { range in
                            var start = range.lowerBound
                            #if arch(x86_64)
                                if channels == 3 {
                                    if CPUFeatures.hasAVX2 {
                                        start += hsvRGBAVX2(input + start * 3, output + start * 3, count: range.count)
                                    }
                                    start += hsvRGB(
                                        input + start * 3, output + start * 3, count: range.upperBound - start)
                                }
                            #endif
                            for index in start..<range.upperBound {
                                let pixel = input + index * channels
                                let (r, g, b) = (Int32(pixel[0]), Int32(pixel[1]), Int32(pixel[2]))
                                let value = max(r, g, b)
                                let difference = value &- min(r, g, b)
                                let saturation = (difference &* saturationTable[Int(value)] &+ 2048) >> 12
                                // OpenCV's branch-free selection of the hue sector.
                                let isRed: Int32 = value == r ? -1 : 0
                                let isGreen: Int32 = value == g ? -1 : 0
                                let sector =
                                    (isRed & (g &- b))
                                    &+ (~isRed
                                        & ((isGreen & (b &- r &+ 2 &* difference))
                                            &+ (~isGreen & (r &- g &+ 4 &* difference))))
                                var hue = (sector &* hueTable[Int(difference)] &+ 2048) >> 12
                                hue &+= (hue >> 31) & 180
                                let out = output + index * channels
                                out[0] = UInt8(truncatingIfNeeded: hue)
                                out[1] = UInt8(truncatingIfNeeded: saturation)
                                out[2] = UInt8(truncatingIfNeeded: value)
                                if channels == 4 { out[3] = pixel[3] }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The classic sepia matrix, clamped; gray images become RGB.
    public func sepia(parallelism: Parallelism = .allCores) -> PixelBuffer {
        var result = withColor()
        let channels = result.channels
        let count = pixelCount
        result.pixels.withUnsafeMutableBufferPointer { pixels in
            let base = pixels.baseAddress!
            parallelism.forEachRange(count, grain: 65_536) { range in
                for index in range {
                    let pixel = base + index * channels
                    let (r, g, b) = (Float(pixel[0]), Float(pixel[1]), Float(pixel[2]))
                    pixel[0] = clampToByte(0.393 * r + 0.769 * g + 0.189 * b)
                    pixel[1] = clampToByte(0.349 * r + 0.686 * g + 0.168 * b)
                    pixel[2] = clampToByte(0.272 * r + 0.534 * g + 0.131 * b)
                }
            }
        }
        return result
    }

    /// 255 − value in the colour channels; alpha kept.
    public func inverted() -> PixelBuffer {
        var result = self
        result.invert()
        return result
    }

    /// Inverts in place.
    public mutating func invert() {
        let channels = self.channels
        let colorChannels = layout.colorChannels
        pixels.withUnsafeMutableBufferPointer { pixels in
            if channels == colorChannels {
                for index in pixels.indices { pixels[index] = ~pixels[index] }
            } else {
                for index in pixels.indices where index % channels < colorChannels { pixels[index] = ~pixels[index] }
            }
        }
    }

    /// The same image without its alpha channel (the colour values are kept as stored).
    public func droppingAlpha() -> PixelBuffer {
        guard layout.hasAlpha else { return self }
        let channels = self.channels
        let keep = layout.colorChannels
        return PixelBuffer(width: width, height: height, layout: layout.opaque) { output in
            pixels.withUnsafeBufferPointer { source in
                for index in 0..<pixelCount {
                    for channel in 0..<keep { output[index * keep + channel] = source[index * channels + channel] }
                }
            }
        }
    }

    /// The image as RGB or RGBA: gray values are copied into the three colour channels.
    public func withColor() -> PixelBuffer {
        guard !layout.isColor else { return self }
        let channels = self.channels
        let alpha = layout.hasAlpha
        let outputChannels = alpha ? 4 : 3
        return PixelBuffer(width: width, height: height, layout: alpha ? .rgba : .rgb) { output in
            pixels.withUnsafeBufferPointer { source in
                for index in 0..<pixelCount {
                    let gray = source[index * channels]
                    let out = output + index * outputChannels
                    out[0] = gray
                    out[1] = gray
                    out[2] = gray
                    if alpha { out[3] = source[index * channels + 1] }
                }
            }
        }
    }
}

/// OpenCV's 15-bit luma weights.
@inline(__always)
func luma(_ red: UInt8, _ green: UInt8, _ blue: UInt8) -> UInt8 {
    let weighted = 9798 &* UInt32(red) &+ 19235 &* UInt32(green) &+ 3735 &* UInt32(blue)
    return UInt8(truncatingIfNeeded: (weighted &+ 16384) >> 15)
}

/// OpenCV's division tables for 8-bit HSV: 255·2¹²/v and 180·2¹²/(6·d), rounded.
private struct HSVTables: Sendable {
    let saturation: [Int32]
    let hue: [Int32]

    static let shared = HSVTables()

    private init() {
        saturation = (0...255).map { $0 == 0 ? 0 : Int32((Double(255 << 12) / Double($0)).rounded()) }
        hue = (0...255).map { $0 == 0 ? 0 : Int32((Double(180 << 12) / (6 * Double($0))).rounded()) }
    }
}

#if arch(x86_64)
    /// OpenCV's luma for `count` RGB pixels, sixteen at a time; returns how many it wrote (the rest,
    /// fewer than sixteen, are the caller's). Y = (9798 R + 19235 G + 3735 B + 2¹⁴) >> 15 in 32-bit lanes:
    /// `pmaddwd` multiplies (R, G) and (B, 1) pairs of 16-bit values by (9798, 19235) and (3735, 2¹⁴).
    func lumaRGB(_ source: UnsafePointer<UInt8>, _ output: UnsafeMutablePointer<UInt8>, count: Int) -> Int {
        let zero = _mm_setzero_si128()
        let one = _mm_set1_epi16(1)
        let redGreen = _mm_set1_epi32(Int32(19235 << 16 | 9798))
        let blueRound = _mm_set1_epi32(Int32(16384 << 16 | 3735))
        @inline(__always) func weigh(_ red: __m128i, _ green: __m128i, _ blue: __m128i) -> __m128i {
            // Eight pixels as 16-bit values → eight lumas as 16-bit values.
            let low = _mm_add_epi32(
                _mm_madd_epi16(_mm_unpacklo_epi16(red, green), redGreen),
                _mm_madd_epi16(_mm_unpacklo_epi16(blue, one), blueRound))
            let high = _mm_add_epi32(
                _mm_madd_epi16(_mm_unpackhi_epi16(red, green), redGreen),
                _mm_madd_epi16(_mm_unpackhi_epi16(blue, one), blueRound))
            return _mm_packs_epi32(_mm_srli_epi32(low, 15), _mm_srli_epi32(high, 15))
        }
        var index = 0
        while index + 16 <= count {
            let (red, green, blue) = deinterleaveRGB(source + 3 * index)
            let low = weigh(
                _mm_unpacklo_epi8(red, zero), _mm_unpacklo_epi8(green, zero), _mm_unpacklo_epi8(blue, zero))
            let high = weigh(
                _mm_unpackhi_epi8(red, zero), _mm_unpackhi_epi8(green, zero), _mm_unpackhi_epi8(blue, zero))
            UnsafeMutableRawPointer(output + index).storeBytes(of: _mm_packus_epi16(low, high), as: __m128i.self)
            index += 16
        }
        return index
    }

    /// OpenCV's 8-bit RGB → HSV for `count` RGB pixels, sixteen at a time; returns how many it wrote (the
    /// rest are the caller's). The division tables 255·2¹²/v and 180·2¹²/(6·d) are computed in float lanes
    /// (`divps`, rounded to nearest: equal to the tables for every v and d in 1…255, which a test checks),
    /// so there is no gather; products go through `multiplyLow32`.
    func hsvRGB(_ source: UnsafePointer<UInt8>, _ output: UnsafeMutablePointer<UInt8>, count: Int) -> Int {
        let zero = _mm_setzero_si128()
        let round = _mm_set1_epi32(2048)
        let saturationScale = _mm_set1_ps(Float(255 << 12))
        let hueScale = _mm_set1_ps(Float(180 << 12) / 6)
        let hueWrap = _mm_set1_epi32(180)
        @inline(__always) func quarters(_ bytes: __m128i) -> (__m128i, __m128i, __m128i, __m128i) {
            let (low, high) = (_mm_unpacklo_epi8(bytes, zero), _mm_unpackhi_epi8(bytes, zero))
            return (
                _mm_unpacklo_epi16(low, zero), _mm_unpackhi_epi16(low, zero), _mm_unpacklo_epi16(high, zero),
                _mm_unpackhi_epi16(high, zero)
            )
        }
        /// round(scale / d) for d ≠ 0, else 0.
        @inline(__always) func reciprocal(_ scale: __m128, _ d: __m128i) -> __m128i {
            let quotient = _mm_cvtps_epi32(_mm_div_ps(scale, _mm_cvtepi32_ps(d)))
            return _mm_andnot_si128(_mm_cmpeq_epi32(d, zero), quotient)
        }
        /// Hue and saturation of four pixels as 32-bit lanes.
        @inline(__always) func hueSaturation(
            _ r: __m128i, _ g: __m128i, _ b: __m128i, _ v: __m128i, _ d: __m128i
        ) -> (__m128i, __m128i) {
            let saturation = _mm_srai_epi32(
                _mm_add_epi32(multiplyLow32(d, reciprocal(saturationScale, v)), round), 12)
            let isRed = _mm_cmpeq_epi32(v, r)
            let isGreen = _mm_cmpeq_epi32(v, g)
            let d2 = _mm_add_epi32(d, d)
            let redSector = _mm_sub_epi32(g, b)
            let greenSector = _mm_add_epi32(_mm_sub_epi32(b, r), d2)
            let blueSector = _mm_add_epi32(_mm_sub_epi32(r, g), _mm_add_epi32(d2, d2))
            let otherSector = _mm_or_si128(
                _mm_and_si128(isGreen, greenSector), _mm_andnot_si128(isGreen, blueSector))
            let sector = _mm_or_si128(_mm_and_si128(isRed, redSector), _mm_andnot_si128(isRed, otherSector))
            var hue = _mm_srai_epi32(_mm_add_epi32(multiplyLow32(sector, reciprocal(hueScale, d)), round), 12)
            hue = _mm_add_epi32(hue, _mm_and_si128(_mm_srai_epi32(hue, 31), hueWrap))
            return (hue, saturation)
        }
        var index = 0
        while index + 16 <= count {
            let (red, green, blue) = deinterleaveRGB(source + 3 * index)
            let value = _mm_max_epu8(red, _mm_max_epu8(green, blue))
            let difference = _mm_sub_epi8(value, _mm_min_epu8(red, _mm_min_epu8(green, blue)))
            let (r, g, b) = (quarters(red), quarters(green), quarters(blue))
            let (v, d) = (quarters(value), quarters(difference))
            let q0 = hueSaturation(r.0, g.0, b.0, v.0, d.0)
            let q1 = hueSaturation(r.1, g.1, b.1, v.1, d.1)
            let q2 = hueSaturation(r.2, g.2, b.2, v.2, d.2)
            let q3 = hueSaturation(r.3, g.3, b.3, v.3, d.3)
            let hue = _mm_packus_epi16(_mm_packs_epi32(q0.0, q1.0), _mm_packs_epi32(q2.0, q3.0))
            let saturation = _mm_packus_epi16(_mm_packs_epi32(q0.1, q1.1), _mm_packs_epi32(q2.1, q3.1))
            storeInterleavedRGB(hue, saturation, value, to: output + 3 * index)
            index += 16
        }
        return index
    }
#endif
