#if arch(x86_64)
    import _Builtin_intrinsics.intel

    /// Four vectors of eight 32-bit integers as 32 bytes in order, each saturated to 0…255. `vpackssdw` and
    /// `vpackuswb` work within 128-bit halves, leaving dwords (0, 2, 4, 6 | 1, 3, 5, 7); `vpermd` puts them
    /// back in order.
    @inline(__always)
    func packedBytes(_ v0: __m256i, _ v1: __m256i, _ v2: __m256i, _ v3: __m256i) -> __m256i {
        let bytes = _mm256_packus_epi16(_mm256_packs_epi32(v0, v1), _mm256_packs_epi32(v2, v3))
        return _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7))
    }
#endif
