import Testing

@testable import Imaging

#if arch(x86_64)
    import ImagingAVX2

    /// The SSE2 kernels and their AVX2 forms, each called directly, give the same bytes, so both paths are
    /// checked whichever one this machine's operations take.
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

        /// HSV: the AVX2 kernel gives the SSE2 kernel's bytes on every (value, difference) pair and random
        /// pixels (the SSE2 kernel and the public call are checked against OpenCV's formula elsewhere).
        @Test(.enabled(if: CPUFeatures.hasAVX2)) func hsvKernelsAgree() {
            var generator = SystemRandomNumberGenerator()
            var pixels: [UInt8] = []
            for value in 0...255 {
                for low in stride(from: 0, through: value, by: 3) {
                    pixels += [UInt8(value), UInt8(low), UInt8((value + low) / 2)].shuffled(using: &generator)
                }
            }
            pixels += (0..<3 * 1000).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let count = pixels.count / 3 / 32 * 32
            var sse2 = [UInt8](repeating: 0, count: 3 * count)
            var avx2 = [UInt8](repeating: 1, count: 3 * count)
            pixels.withUnsafeBufferPointer { source in
                #expect(
                    sse2.withUnsafeMutableBufferPointer { hsvRGB(source.baseAddress!, $0.baseAddress!, count: count) }
                        == count)
                #expect(
                    avx2.withUnsafeMutableBufferPointer {
                        hsvRGBAVX2(source.baseAddress!, $0.baseAddress!, count: count)
                    } == count)
            }
            #expect(avx2 == sse2)
        }

        /// Gaussian, box and unsharp: the AVX2 vertical and horizontal passes give the SSE2 passes' floats,
        /// so the same bytes, for every layout and widths that leave tails of both vector widths.
        @Test(.enabled(if: CPUFeatures.hasAVX2)) func convolutionPassesAgree() {
            var generator = SystemRandomNumberGenerator()
            for (width, height, layout) in [
                (97, 23, PixelLayout.rgb), (45, 11, .gray), (33, 9, .rgba), (20, 17, .grayAlpha), (3, 40, .rgb),
            ] {
                let pixels = (0..<width * height * layout.channels).map { _ in
                    UInt8.random(in: 0...255, using: &generator)
                }
                let image = PixelBuffer(width: width, height: height, layout: layout, pixels: pixels)
                for (kernel, finish) in [
                    (SymmetricKernel.gaussian(sigma: 3), ConvolutionFinish.blur),
                    (.gaussian(sigma: 0.8), .blur), (.box(radius: 4), .blur),
                    (.gaussian(sigma: 2), .unsharp(amount: 1.5, threshold: 3)),
                    (.gaussian(sigma: 1), .unsharp(amount: 0.7, threshold: 0)),
                ] {
                    let sse2 = image.convolved(with: kernel, finish: finish, parallelism: .single, avx2: false)
                    let avx2 = image.convolved(with: kernel, finish: finish, parallelism: .single, avx2: true)
                    #expect(sse2 == avx2, "\(width)×\(height) \(layout), radius \(kernel.radius)")
                }
            }
        }

        /// Rotation: the AVX2 sampler (eight colour pixels at a time inside the source) gives the one-by-one
        /// sampler's bytes at every angle, with the canvas expanded or kept, on sizes whose rows end in every
        /// remainder of eight and whose last source row is reached.
        @Test(.enabled(if: CPUFeatures.hasAVX2), arguments: [PixelLayout.rgb, .rgba])
        func rotationSamplersAgree(layout: PixelLayout) throws {
            var generator = SystemRandomNumberGenerator()
            for (width, height) in [(97, 53), (64, 64), (13, 9), (300, 7), (21, 120)] {
                let pixels = (0..<width * height * layout.channels).map { _ in
                    UInt8.random(in: 0...255, using: &generator)
                }
                let image = PixelBuffer(width: width, height: height, layout: layout, pixels: pixels)
                for degrees in [17.0, -30, 123.5, 271, 0.5, 45, 359.75] {
                    for expand in [true, false] {
                        let background = Color(hex: "#10203040")
                        let one = try image.rotated(
                            degrees: degrees, expand: expand, background: background, parallelism: .single, avx2: false)
                        let eight = try image.rotated(
                            degrees: degrees, expand: expand, background: background, parallelism: .single, avx2: true)
                        #expect(one == eight, "\(width)×\(height) \(layout) \(degrees)° expand \(expand)")
                    }
                }
            }
        }

        /// Quarter turns: the AVX2 tile transpose gives the pixel-by-pixel copy's bytes both ways, on sizes
        /// with partial blocks and tiles in both directions and ones too small for any block.
        @Test(.enabled(if: CPUFeatures.hasAVX2), arguments: [PixelLayout.rgb, .rgba])
        func quarterTurnsAgree(layout: PixelLayout) {
            var generator = SystemRandomNumberGenerator()
            for (width, height) in [(70, 45), (64, 64), (7, 9), (3, 100), (100, 10), (33, 11), (41, 300)] {
                let pixels = (0..<width * height * layout.channels).map { _ in
                    UInt8.random(in: 0...255, using: &generator)
                }
                let image = PixelBuffer(width: width, height: height, layout: layout, pixels: pixels)
                for angle in [RightAngle.counterClockwise, .clockwise] {
                    let copied = image.rotated(angle, parallelism: .single, avx2: false)
                    let transposed = image.rotated(angle, parallelism: .single, avx2: true)
                    #expect(copied == transposed, "\(width)×\(height) \(layout) \(angle)")
                }
            }
        }

        /// Enlarging with two taps: the AVX2 horizontal pass (from bytes) and row blend give the SSE2 passes'
        /// floats and bytes, on widths that leave tails and reach the last source bytes.
        @Test(.enabled(if: CPUFeatures.hasAVX2), arguments: [PixelLayout.rgb, .rgba])
        func enlargingPassesAgree(layout: PixelLayout) {
            var generator = SystemRandomNumberGenerator()
            for (width, height) in [(37, 9), (8, 8), (101, 5), (2, 3)] {
                let pixels = (0..<width * height * layout.channels).map { _ in
                    UInt8.random(in: 0...255, using: &generator)
                }
                let image = PixelBuffer(width: width, height: height, layout: layout, pixels: pixels)
                for (newWidth, newHeight) in [
                    (2 * width, 2 * height), (3 * width + 1, height + 7), (width + 5, 4 * height),
                ] {
                    let sse2 = image.resampled(
                        width: newWidth, height: newHeight, filter: .bilinear, antialias: true, parallelism: .single,
                        avx2: false)
                    let avx2 = image.resampled(
                        width: newWidth, height: newHeight, filter: .bilinear, antialias: true, parallelism: .single,
                        avx2: true)
                    #expect(sse2 == avx2, "\(width)×\(height) \(layout) -> \(newWidth)×\(newHeight)")
                }
            }
        }
    }
#endif
