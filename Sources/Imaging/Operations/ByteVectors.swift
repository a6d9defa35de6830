#if arch(x86_64)
    import _Builtin_intrinsics.intel
#endif

/// Sixteen bytes ordered lane by lane (SSE2's `pminub`/`pmaxub` on x86-64).
struct ByteLanes: MedianLanes {
    static let count = 16
    var bytes: SIMD16<UInt8>

    init(repeating value: UInt8) { bytes = SIMD16(repeating: value) }

    @inline(__always)
    init(loadingFrom pointer: UnsafeRawPointer) { bytes = pointer.loadUnaligned(as: SIMD16<UInt8>.self) }

    @inline(__always)
    func store(to pointer: UnsafeMutableRawPointer) { pointer.storeBytes(of: bytes, as: SIMD16<UInt8>.self) }

    @inline(__always)
    func store(to pointer: UnsafeMutablePointer<UInt8>) { store(to: UnsafeMutableRawPointer(pointer)) }

    @inline(__always)
    static func minimum(_ a: Self, _ b: Self) -> Self {
        #if arch(x86_64)
            Self(vector: _mm_min_epu8(a.vector, b.vector))
        #else
            Self(bytes: pointwiseMin(a.bytes, b.bytes))
        #endif
    }

    @inline(__always)
    static func maximum(_ a: Self, _ b: Self) -> Self {
        #if arch(x86_64)
            Self(vector: _mm_max_epu8(a.vector, b.vector))
        #else
            Self(bytes: pointwiseMax(a.bytes, b.bytes))
        #endif
    }

    private init(bytes: SIMD16<UInt8>) { self.bytes = bytes }

    #if arch(x86_64)
        private init(vector: __m128i) { bytes = unsafeBitCast(vector, to: SIMD16<UInt8>.self) }
        private var vector: __m128i { unsafeBitCast(bytes, to: __m128i.self) }
    #endif
}

#if arch(x86_64)
    /// Sixteen interleaved RGB pixels (48 bytes from `pointer`) split into their R, G and B bytes with
    /// SSE2 byte unpacks only (x86-64's baseline has no byte shuffle): four rounds of interleaving the
    /// low and high halves undo the three-way interleave.
    @inline(__always)
    func deinterleaveRGB(_ pointer: UnsafeRawPointer) -> (__m128i, __m128i, __m128i) {
        let a = pointer.loadUnaligned(as: __m128i.self)
        let b = pointer.loadUnaligned(fromByteOffset: 16, as: __m128i.self)
        let c = pointer.loadUnaligned(fromByteOffset: 32, as: __m128i.self)
        @inline(__always) func round(_ a: __m128i, _ b: __m128i, _ c: __m128i) -> (__m128i, __m128i, __m128i) {
            (
                _mm_unpacklo_epi8(a, _mm_unpackhi_epi64(b, b)),
                _mm_unpacklo_epi8(_mm_unpackhi_epi64(a, a), c),
                _mm_unpacklo_epi8(b, _mm_unpackhi_epi64(c, c))
            )
        }
        let first = round(a, b, c)
        let second = round(first.0, first.1, first.2)
        let third = round(second.0, second.1, second.2)
        return round(third.0, third.1, third.2)
    }

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
#endif

/// Sixteen floats rounded to bytes as `clampToByte` does (nearest, ties to even, clamped to 0…255) and
/// stored at `output`; on x86-64 by `cvtps2dq` and two saturating packs, so values must lie within ±2³¹
/// (filters' outputs are within a few hundred).
@inline(__always)
func storeRounded(
    _ v0: SIMD4<Float>, _ v1: SIMD4<Float>, _ v2: SIMD4<Float>, _ v3: SIMD4<Float>,
    to output: UnsafeMutablePointer<UInt8>
) {
    #if arch(x86_64)
        @inline(__always) func integers(_ v: SIMD4<Float>) -> __m128i {
            _mm_cvtps_epi32(unsafeBitCast(v, to: __m128.self))
        }
        let bytes = _mm_packus_epi16(
            _mm_packs_epi32(integers(v0), integers(v1)), _mm_packs_epi32(integers(v2), integers(v3)))
        UnsafeMutableRawPointer(output).storeBytes(of: bytes, as: __m128i.self)
    #else
        for (k, v) in [v0, v1, v2, v3].enumerated() {
            for lane in 0..<4 { output[4 * k + lane] = clampToByte(v[lane]) }
        }
    #endif
}

/// output[i] = clampToByte(values[i]) for i in 0..<count, sixteen at a time.
@inline(__always)
func storeRounded(_ values: UnsafePointer<Float>, to output: UnsafeMutablePointer<UInt8>, count: Int) {
    let raw = UnsafeRawPointer(values)
    var index = 0
    while index + 16 <= count {
        @inline(__always) func load(_ k: Int) -> SIMD4<Float> {
            raw.loadUnaligned(fromByteOffset: 4 * (index + 4 * k), as: SIMD4<Float>.self)
        }
        storeRounded(load(0), load(1), load(2), load(3), to: output + index)
        index += 16
    }
    for index in index..<count { output[index] = clampToByte(values[index]) }
}
