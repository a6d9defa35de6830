#if arch(x86_64)
    import _Builtin_intrinsics.intel

    /// Where one output row of an affine warp samples its source, in `warpAffine`'s fixed point: output pixel
    /// x reads source position ((originX + stepsX[x]) >> 5, (originY + stepsY[x]) >> 5) in 1/32 pixels.
    public struct AffineRowSampling {
        public var originX: Int32
        public var originY: Int32
        public var stepsX: UnsafePointer<Int32>
        public var stepsY: UnsafePointer<Int32>

        public init(originX: Int32, originY: Int32, stepsX: UnsafePointer<Int32>, stepsY: UnsafePointer<Int32>) {
            (self.originX, self.originY, self.stepsX, self.stepsY) = (originX, originY, stepsX, stepsY)
        }
    }

    /// Bilinear samples for output pixels `start..<end` of one row (`lineWidth` pixels) of a three- or
    /// four-channel image, eight at a time with AVX2, for as long as all eight of a block lie inside the source
    /// with their right and lower neighbours (sampled) or all lie outside it and its one-pixel border (`fill`,
    /// the background's bytes in a little-endian word); returns where it stopped: the block it could not take,
    /// or fewer than eight pixels before `end` (ten before `lineWidth`: a three-channel block writes four bytes
    /// past itself). The caller samples from there on.
    ///
    /// Each 128-bit half takes one pixel: its upper and lower source pairs (8 bytes each) are shuffled to
    /// (left, right) byte pairs, `vpmaddubsw` weighs them by (32 − fx, fx), `vpmaddwd` the (upper, lower)
    /// sums by (32 − fy, fy). OpenCV's sum is 32 times that, so (sum + 2¹⁴) >> 15 is (that + 512) >> 10:
    /// the scalar path's bytes. Only call it where Imaging's `CPUFeatures.hasAVX2` holds.
    @inline(never)
    public func bilinearAffineRowAVX2(
        _ source: UnsafePointer<UInt8>, width: Int, height: Int, channels: Int, sampling: AffineRowSampling,
        fill: UInt32, into line: UnsafeMutablePointer<UInt8>, lineWidth: Int, from start: Int, to end: Int
    ) -> Int {
        precondition(channels == 3 || channels == 4)
        let rowBytes = width * channels
        // A block is taken when every pixel has 0 ≤ sx < width − 1, 0 ≤ sy < height − 1 and its lower 8-byte
        // read ends inside the source (a three-channel pixel's reads run two bytes past its right neighbour).
        let minusOne = _mm256_set1_epi32(-1)
        let lastX = _mm256_set1_epi32(Int32(width - 1))
        let lastY = _mm256_set1_epi32(Int32(height - 1))
        let offsetLimit = _mm256_set1_epi32(Int32(height * rowBytes - rowBytes - 8 + 1))
        let rowStride = _mm256_set1_epi32(Int32(rowBytes))
        let channelStride = _mm256_set1_epi32(Int32(channels))
        let thirtyOne = _mm256_set1_epi32(31)
        let thirtyTwo = _mm256_set1_epi32(32)
        let round = _mm256_set1_epi32(512)
        let originX = _mm256_set1_epi32(sampling.originX)
        let originY = _mm256_set1_epi32(sampling.originY)
        // Per half: bytes 0–7 are the upper pair's, 8–15 the lower's; output (upper c, lower c) per channel,
        // each as (left, right).
        let orderHalf =
            channels == 3
            ? _mm_setr_epi8(0, 3, 8, 11, 1, 4, 9, 12, 2, 5, 10, 13, 3, 6, 11, 14)
            : _mm_setr_epi8(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15)
        let pairOrder = _mm256_set_m128i(orderHalf, orderHalf)
        // Three channels: drop each pixel's fourth byte within each half (12 bytes kept, then zeros).
        let packedHalf = _mm_setr_epi8(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1)
        let compact = _mm256_set_m128i(packedHalf, packedHalf)
        // spread k: pixel 2k's dword in the low half, pixel 2k + 1's in the high half.
        @inline(__always) func spread(_ k: Int32) -> __m256i {
            _mm256_setr_epi32(2 * k, 2 * k, 2 * k, 2 * k, 2 * k + 1, 2 * k + 1, 2 * k + 1, 2 * k + 1)
        }
        let (spread0, spread1, spread2, spread3) = (spread(0), spread(1), spread(2), spread(3))
        let tail = channels == 3 ? 2 : 0
        let fillDwords = _mm256_set1_epi32(Int32(bitPattern: fill))
        let fillPixels = channels == 3 ? _mm256_shuffle_epi8(fillDwords, compact) : fillDwords

        /// Eight pixels' bytes: 32, or three-channel ones as 12 in each half (the low half's 16 bytes first, then
        /// the high half's over its last four).
        @inline(__always) func store(_ pixels: __m256i, at out: UnsafeMutablePointer<UInt8>) {
            if channels == 4 {
                UnsafeMutableRawPointer(out).storeBytes(of: pixels, as: __m256i.self)
            } else {
                _mm256_storeu2_m128i(
                    UnsafeMutableRawPointer(out + 12).assumingMemoryBound(to: __m128i.self),
                    UnsafeMutableRawPointer(out).assumingMemoryBound(to: __m128i.self), pixels)
            }
        }
        var x = start
        while x + 8 <= end, x + 8 + tail <= lineWidth {
            let stepX = UnsafeRawPointer(sampling.stepsX + x).loadUnaligned(as: __m256i.self)
            let stepY = UnsafeRawPointer(sampling.stepsY + x).loadUnaligned(as: __m256i.self)
            let fixedX = _mm256_srai_epi32(_mm256_add_epi32(originX, stepX), 5)
            let fixedY = _mm256_srai_epi32(_mm256_add_epi32(originY, stepY), 5)
            let sx = _mm256_srai_epi32(fixedX, 5)
            let sy = _mm256_srai_epi32(fixedY, 5)
            let offsets = _mm256_add_epi32(_mm256_mullo_epi32(sy, rowStride), _mm256_mullo_epi32(sx, channelStride))
            let inside = _mm256_and_si256(
                _mm256_and_si256(_mm256_cmpgt_epi32(sx, minusOne), _mm256_cmpgt_epi32(lastX, sx)),
                _mm256_and_si256(
                    _mm256_and_si256(_mm256_cmpgt_epi32(sy, minusOne), _mm256_cmpgt_epi32(lastY, sy)),
                    _mm256_cmpgt_epi32(offsetLimit, offsets)))
            let out = line + x * channels
            if _mm256_movemask_epi8(inside) != -1 {
                // Outside means sx ≥ width or sx < −1 (likewise y): no tap of the pixel lands in the source.
                let outside = _mm256_or_si256(
                    _mm256_or_si256(_mm256_cmpgt_epi32(sx, lastX), _mm256_cmpgt_epi32(minusOne, sx)),
                    _mm256_or_si256(_mm256_cmpgt_epi32(sy, lastY), _mm256_cmpgt_epi32(minusOne, sy)))
                guard _mm256_movemask_epi8(outside) == -1 else { break }
                store(fillPixels, at: out)
                x += 8
                continue
            }
            let fx = _mm256_and_si256(fixedX, thirtyOne)
            let fy = _mm256_and_si256(fixedY, thirtyOne)
            // (32 − fx, fx) as two signed bytes, twice per dword; (32 − fy, fy) as two 16-bit words.
            let horizontal = _mm256_mullo_epi32(
                _mm256_or_si256(_mm256_slli_epi32(fx, 8), _mm256_sub_epi32(thirtyTwo, fx)), _mm256_set1_epi32(0x1_0001))
            let vertical = _mm256_or_si256(_mm256_slli_epi32(fy, 16), _mm256_sub_epi32(thirtyTwo, fy))
            let lanes = unsafeBitCast(offsets, to: SIMD8<Int32>.self)
            @inline(__always) func rows(_ pixel: Int) -> __m128i {
                let upper = UnsafeRawPointer(source + Int(lanes[pixel]))
                return _mm_set_epi64x(
                    upper.loadUnaligned(fromByteOffset: rowBytes, as: Int64.self), upper.loadUnaligned(as: Int64.self))
            }
            @inline(__always) func pair(_ first: Int, _ spread: __m256i) -> __m256i {
                let bytes = _mm256_shuffle_epi8(_mm256_set_m128i(rows(first + 1), rows(first)), pairOrder)
                let sums = _mm256_maddubs_epi16(bytes, _mm256_permutevar8x32_epi32(horizontal, spread))
                let total = _mm256_madd_epi16(sums, _mm256_permutevar8x32_epi32(vertical, spread))
                return _mm256_srai_epi32(_mm256_add_epi32(total, round), 10)
            }
            let pixels = packedBytes(pair(0, spread0), pair(2, spread1), pair(4, spread2), pair(6, spread3))
            store(channels == 4 ? pixels : _mm256_shuffle_epi8(pixels, compact), at: out)
            x += 8
        }
        return x
    }
#endif
