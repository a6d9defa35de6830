import Testing

@testable import Imaging

#if arch(x86_64)
    import ImagingAVX2

    /// The SSE2 kernels and their AVX2 forms give the same bytes as the scalar formula, each called directly,
    /// so both paths are checked whichever one this machine's operations take.
    @Suite struct KernelPathTests {
        @Test func lumaKernelsEqualTheScalarFormula() {
            var generator = SystemRandomNumberGenerator()
            let count = 32 * 40 + 29
            let pixels = (0..<count * 3).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let expected = (0..<count).map { luma(pixels[3 * $0], pixels[3 * $0 + 1], pixels[3 * $0 + 2]) }
            var kernels: [(String, (UnsafePointer<UInt8>, UnsafeMutablePointer<UInt8>, Int) -> Int)] = [
                ("SSE2", { lumaRGB($0, $1, count: $2) })
            ]
            if CPUFeatures.hasAVX2 { kernels.append(("AVX2", { lumaRGBAVX2($0, $1, count: $2) })) }
            for (name, kernel) in kernels {
                var output = [UInt8](repeating: 0, count: count)
                let done = pixels.withUnsafeBufferPointer { source in
                    output.withUnsafeMutableBufferPointer { kernel(source.baseAddress!, $0.baseAddress!, count) }
                }
                #expect(done == count / (name == "AVX2" ? 32 : 16) * (name == "AVX2" ? 32 : 16), "\(name)")
                #expect(output.prefix(done) == expected.prefix(done), "\(name)")
            }
        }
    }
#endif
