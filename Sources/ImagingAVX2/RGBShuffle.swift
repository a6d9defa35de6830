#if arch(x86_64)
    import _Builtin_intrinsics.intel

    /// Interleaved RGB ↔ planes for 32 pixels (96 bytes) with `vpshufb`, which works within each 128-bit
    /// half: the low half takes pixels 0–15 (bytes 0–47), the high half pixels 16–31 (bytes 48–95).
    struct RGBShuffle {
        /// gather[c][k]: the bytes of channel c found in 16-byte load k, moved to their pixel's lane.
        private let gather: [[__m256i]]
        /// scatter[c][k]: channel c's lanes moved to their places in 16-byte output chunk k.
        private let scatter: [[__m256i]]

        init() {
            func mask(_ lane: (_ position: Int) -> Int?) -> __m256i {
                let bytes = (0..<16).map { lane($0).map(Int8.init) ?? -1 }
                let half = bytes.withUnsafeBytes { $0.loadUnaligned(as: __m128i.self) }
                return _mm256_set_m128i(half, half)
            }
            gather = (0..<3).map { channel in
                (0..<3).map { load in
                    mask { pixel in
                        let offset = 3 * pixel + channel - 16 * load
                        return (0..<16).contains(offset) ? offset : nil
                    }
                }
            }
            scatter = (0..<3).map { channel in
                (0..<3).map { chunk in
                    mask { position in
                        let byte = 16 * chunk + position
                        return byte % 3 == channel ? byte / 3 : nil
                    }
                }
            }
        }

        /// The R, G and B bytes of the 32 pixels at `source`.
        @inline(__always)
        func planes(_ source: UnsafeRawPointer) -> (__m256i, __m256i, __m256i) {
            @inline(__always) func load(_ k: Int) -> __m256i {
                _mm256_set_m128i(
                    source.loadUnaligned(fromByteOffset: 48 + 16 * k, as: __m128i.self),
                    source.loadUnaligned(fromByteOffset: 16 * k, as: __m128i.self))
            }
            let loads = (load(0), load(1), load(2))
            @inline(__always) func channel(_ c: Int) -> __m256i {
                _mm256_or_si256(
                    _mm256_or_si256(
                        _mm256_shuffle_epi8(loads.0, gather[c][0]), _mm256_shuffle_epi8(loads.1, gather[c][1])),
                    _mm256_shuffle_epi8(loads.2, gather[c][2]))
            }
            return (channel(0), channel(1), channel(2))
        }

        /// Writes three planes of 32 bytes as 32 interleaved pixels (96 bytes) at `output`.
        @inline(__always)
        func interleave(_ first: __m256i, _ second: __m256i, _ third: __m256i, to output: UnsafeMutableRawPointer) {
            for chunk in 0..<3 {
                let bytes = _mm256_or_si256(
                    _mm256_or_si256(
                        _mm256_shuffle_epi8(first, scatter[0][chunk]), _mm256_shuffle_epi8(second, scatter[1][chunk])),
                    _mm256_shuffle_epi8(third, scatter[2][chunk]))
                _mm256_storeu2_m128i(
                    (output + 48 + 16 * chunk).assumingMemoryBound(to: __m128i.self),
                    (output + 16 * chunk).assumingMemoryBound(to: __m128i.self), bytes)
            }
        }
    }
#endif
