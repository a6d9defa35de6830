#if arch(x86_64)
    import _Builtin_intrinsics.intel

    /// The whole blocks of one tile of a quarter turn of a three- or four-channel image: source columns
    /// `columns` × rows `rows` move to output rows, counter-clockwise (source column x becomes output row
    /// width − 1 − x, read top to bottom) or clockwise (output row x, read bottom to top). Blocks of 4 columns
    /// × 8 rows are transposed in registers: each 128-bit half takes 4 × 4 pixels (three-channel ones widened
    /// to 4 bytes by `vpshufb`), `vpunpck` turns rows into columns, `vpshufb` narrows (and, clockwise,
    /// reverses) them again. Returns how many of the tile's first columns and rows it moved; the caller moves
    /// the rest afterwards (a three-channel block writes 4 bytes onto the next two rows' pixels of its
    /// columns, so those are written after it). Only call it where Imaging's `CPUFeatures.hasAVX2` holds.
    @inline(never)
    public func quarterTurnBlocksAVX2(
        _ source: UnsafePointer<UInt8>, width: Int, height: Int, channels: Int,
        into output: UnsafeMutablePointer<UInt8>, counterClockwise: Bool, columns: Range<Int>, rows: Range<Int>
    ) -> (columns: Int, rows: Int) {
        precondition(channels == 3 || channels == 4)
        let sourceRowBytes = width * channels
        let outputRowBytes = height * channels
        let three = channels == 3
        @inline(__always) func half(_ bytes: __m128i) -> __m256i { _mm256_set_m128i(bytes, bytes) }
        let widen = half(_mm_setr_epi8(0, 1, 2, -1, 3, 4, 5, -1, 6, 7, 8, -1, 9, 10, 11, -1))
        // Narrowed in order into bytes 0–11 (counter-clockwise), reversed into bytes 4–15 (clockwise: the four
        // spare bytes then fall before the pixels, on ones written later). Four channels: kept, or reversed.
        let narrow =
            switch (three, counterClockwise) {
            case (true, true): half(_mm_setr_epi8(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1))
            case (true, false): half(_mm_setr_epi8(-1, -1, -1, -1, 12, 13, 14, 8, 9, 10, 4, 5, 6, 0, 1, 2))
            case (false, true): half(_mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15))
            case (false, false): half(_mm_setr_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3))
            }
        let spare = three && !counterClockwise ? 4 : 0
        @inline(__always) func line(_ x: Int) -> UnsafeMutablePointer<UInt8> {
            output + (counterClockwise ? width - 1 - x : x) * outputRowBytes
        }
        @inline(__always) func position(_ y: Int) -> Int { counterClockwise ? y : height - 1 - y }
        // Rows of whole blocks: eight at a time, and two spare rows below the last for the 4-byte overhang.
        let blockRows = max(0, (min(rows.upperBound, height - 2) - rows.lowerBound) / 8 * 8)
        let blockColumns = columns.count / 4 * 4
        for x in stride(from: columns.lowerBound, to: columns.lowerBound + blockColumns, by: 4) {
            for y in stride(from: rows.lowerBound, to: rows.lowerBound + blockRows, by: 8) {
                @inline(__always) func load(_ r: Int) -> __m256i {
                    let upper = UnsafeRawPointer(source + (y + r) * sourceRowBytes + x * channels)
                    let lower = upper + 4 * sourceRowBytes
                    let both = _mm256_set_m128i(
                        lower.loadUnaligned(as: __m128i.self), upper.loadUnaligned(as: __m128i.self))
                    return three ? _mm256_shuffle_epi8(both, widen) : both
                }
                let (r0, r1, r2, r3) = (load(0), load(1), load(2), load(3))
                let low01 = _mm256_unpacklo_epi32(r0, r1)
                let low23 = _mm256_unpacklo_epi32(r2, r3)
                let high01 = _mm256_unpackhi_epi32(r0, r1)
                let high23 = _mm256_unpackhi_epi32(r2, r3)
                @inline(__always) func store(_ column: __m256i, _ k: Int) {
                    let to = line(x + k)
                    // The low half holds rows y…y + 3, the high half y + 4…y + 7; the low half is written first.
                    let first = counterClockwise ? position(y) : position(y + 3)
                    let second = counterClockwise ? position(y + 4) : position(y + 7)
                    _mm256_storeu2_m128i(
                        UnsafeMutableRawPointer(to + second * channels - spare).assumingMemoryBound(to: __m128i.self),
                        UnsafeMutableRawPointer(to + first * channels - spare).assumingMemoryBound(to: __m128i.self),
                        _mm256_shuffle_epi8(column, narrow))
                }
                store(_mm256_unpacklo_epi64(low01, low23), 0)
                store(_mm256_unpackhi_epi64(low01, low23), 1)
                store(_mm256_unpacklo_epi64(high01, high23), 2)
                store(_mm256_unpackhi_epi64(high01, high23), 3)
            }
        }
        return (blockColumns, blockRows)
    }
#endif
