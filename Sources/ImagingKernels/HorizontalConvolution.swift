/// The horizontal pass of a separable convolution, generic over the float vector so that each caller's
/// module specialises it for its target (4 lanes in Imaging, 8 in ImagingAVX2). Inlinable for that reason.
/// ImagingAVX2 must only use lane types Imaging does not: two modules' copies of one specialisation are
/// merged at link time, and the AVX2 copy could then run on a CPU without AVX2.
public enum HorizontalConvolution {
    /// blurred[i] = w₀·line[i] + Σₖ wₖ·(line[i − k·channels] + line[i + k·channels]), `4 × Lanes.scalarCount`
    /// outputs at a time in four vector accumulators, so each output is stored once. The line is padded by
    /// `radius` pixels on both sides. Returns how many values it wrote (the rest, fewer than one step, are the
    /// caller's). Every lane sums in the same order whatever the width, so the floats do not depend on it.
    @inlinable
    public static func apply<Lanes: SIMD>(
        _: Lanes.Type, _ line: UnsafePointer<Float>, channels: Int, weights: UnsafePointer<Float>, radius: Int,
        into blurred: UnsafeMutablePointer<Float>, count: Int
    ) -> Int where Lanes.Scalar == Float {
        let width = Lanes.scalarCount
        @inline(__always) func load(_ pointer: UnsafePointer<Float>) -> Lanes {
            UnsafeRawPointer(pointer).loadUnaligned(as: Lanes.self)
        }
        var i = 0
        while i + 4 * width <= count {
            let center = line + i
            let w0 = weights[0]
            var (a0, a1, a2, a3) = (
                w0 * load(center), w0 * load(center + width), w0 * load(center + 2 * width),
                w0 * load(center + 3 * width)
            )
            for k in 1...radius {
                let (left, right) = (center - k * channels, center + k * channels)
                let weight = weights[k]
                a0 += weight * (load(left) + load(right))
                a1 += weight * (load(left + width) + load(right + width))
                a2 += weight * (load(left + 2 * width) + load(right + 2 * width))
                a3 += weight * (load(left + 3 * width) + load(right + 3 * width))
            }
            let out = UnsafeMutableRawPointer(blurred + i)
            let stride = MemoryLayout<Lanes>.size
            out.storeBytes(of: a0, as: Lanes.self)
            out.storeBytes(of: a1, toByteOffset: stride, as: Lanes.self)
            out.storeBytes(of: a2, toByteOffset: 2 * stride, as: Lanes.self)
            out.storeBytes(of: a3, toByteOffset: 3 * stride, as: Lanes.self)
            i += 4 * width
        }
        return i
    }
}
