#if arch(x86_64)
    import _Builtin_intrinsics.intel
    import ImagingKernels

    /// Thirty-two bytes ordered lane by lane (`vpminub`/`vpmaxub`).
    struct ByteLanes32: ByteVector {
        static let count = 32
        var vector: __m256i

        @inline(__always)
        init(loadingFrom pointer: UnsafeRawPointer) { vector = pointer.loadUnaligned(as: __m256i.self) }

        @inline(__always)
        private init(vector: __m256i) { self.vector = vector }

        @inline(__always)
        func store(to pointer: UnsafeMutableRawPointer) { pointer.storeBytes(of: vector, as: __m256i.self) }

        @inline(__always)
        static func minimum(_ a: Self, _ b: Self) -> Self { Self(vector: _mm256_min_epu8(a.vector, b.vector)) }

        @inline(__always)
        static func maximum(_ a: Self, _ b: Self) -> Self { Self(vector: _mm256_max_epu8(a.vector, b.vector)) }
    }

    /// `MedianStrip.filter` on 32 bytes at a time. Only call it where AVX2 is present: this module is
    /// compiled for Haswell. Padded rows and sorted planes must leave 32 bytes of slack.
    @inline(never)
    public func medianStripAVX2(
        lines: UnsafePointer<UnsafeRawPointer>, start: Int, length: Int, radius: Int, channels: Int,
        sorted: UnsafeMutableRawPointer, planePitch: Int, target: UnsafeMutablePointer<UInt8>
    ) {
        MedianStrip.filter(
            ByteLanes32.self, lines: lines, start: start, length: length, radius: radius, channels: channels,
            sorted: sorted, planePitch: planePitch, target: target)
    }
#endif
