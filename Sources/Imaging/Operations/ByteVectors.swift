// Vector building blocks shared by the Imaging kernels. On x86-64 they are SSE2, the architecture's
// baseline, written with Clang's intrinsics; elsewhere the callers keep their portable loops.

import ImagingKernels

#if arch(x86_64)
    import _Builtin_intrinsics.intel
#endif

/// Sixteen bytes ordered lane by lane (SSE2's `pminub`/`pmaxub` on x86-64).
struct ByteLanes: ByteVector {
    static let count = 16
    var bytes: SIMD16<UInt8>

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
            _mm_cvtps_epi32(v)
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

#if arch(x86_64)
    /// The inverse of `deinterleaveRGB`: sixteen pixels' R, G and B bytes written interleaved as 48 bytes.
    /// Each group of four pixels becomes four 32-bit lanes (R, G, B, 0); each 64-bit half then drops its
    /// odd pixel's zero byte (6 bytes), written as 8 + 4 + 2 bytes so nothing lands past the 48.
    @inline(__always)
    func storeInterleavedRGB(_ red: __m128i, _ green: __m128i, _ blue: __m128i, to output: UnsafeMutableRawPointer) {
        let zero = _mm_setzero_si128()
        // The first pixel's three bytes in each 64-bit half.
        let firstPixel = _mm_set_epi32(0, 0x00FF_FFFF, 0, 0x00FF_FFFF)
        @inline(__always) func store(_ pixels: __m128i, at offset: Int) {
            // In each 64-bit half, the second pixel shifted down one byte onto the first's zero byte:
            // each pair of pixels as 6 contiguous bytes.
            let pairs = _mm_or_si128(
                _mm_and_si128(pixels, firstPixel), _mm_andnot_si128(firstPixel, _mm_srli_epi64(pixels, 8)))
            _mm_storel_epi64(UnsafeMutableRawPointer(output + offset).assumingMemoryBound(to: __m128i.self), pairs)
            let second = _mm_cvtsi128_si64(_mm_unpackhi_epi64(pairs, pairs))
            (output + offset + 6).storeBytes(of: UInt32(truncatingIfNeeded: second), as: UInt32.self)
            (output + offset + 10).storeBytes(of: UInt16(truncatingIfNeeded: second >> 32), as: UInt16.self)
        }
        let redGreenLow = _mm_unpacklo_epi8(red, green)
        let redGreenHigh = _mm_unpackhi_epi8(red, green)
        let blueLow = _mm_unpacklo_epi8(blue, zero)
        let blueHigh = _mm_unpackhi_epi8(blue, zero)
        store(_mm_unpacklo_epi16(redGreenLow, blueLow), at: 0)
        store(_mm_unpackhi_epi16(redGreenLow, blueLow), at: 12)
        store(_mm_unpacklo_epi16(redGreenHigh, blueHigh), at: 24)
        store(_mm_unpackhi_epi16(redGreenHigh, blueHigh), at: 36)
    }

    /// The low 32 bits of each lane's product (SSE2 has no `pmulld`): `pmuludq` on the even lanes and on
    /// the odd lanes shifted down, then the low halves put back in place. Right for signed values too.
    @inline(__always)
    func multiplyLow32(_ a: __m128i, _ b: __m128i) -> __m128i {
        let even = _mm_mul_epu32(a, b)
        let odd = _mm_mul_epu32(_mm_srli_epi64(a, 32), _mm_srli_epi64(b, 32))
        return _mm_or_si128(_mm_and_si128(even, _mm_set_epi32(0, -1, 0, -1)), _mm_slli_epi64(odd, 32))
    }
#endif
