import TestImages
import Testing

@testable import Imaging

/// The O(1)-per-pixel filters behind dehaze against brute-force window scans.
@Suite(.offCooperativePool) struct FilterPrimitiveTests {
    /// Sixteen at a time (`cvtps2dq` and saturating packs on x86-64) rounds exactly as `clampToByte`:
    /// ties to even, negatives to 0, above 255 to 255, for every value on a 1/4 grid from −300 to 600,
    /// values far out of range (within ±2³¹, the documented domain), and counts that leave a tail.
    /// The histogram (eight samples per load for one channel, one by one otherwise) counts what a plain loop
    /// counts, with lengths that leave every remainder of eight and runs of one value.
    @Test func histogramCountsEveryLevel() {
        var generator = SystemRandomNumberGenerator()
        for (count, layout) in [(1001, PixelLayout.gray), (64, .gray), (5, .gray), (333, .rgb), (97, .grayAlpha)] {
            var pixels = (0..<count * layout.channels).map { _ in UInt8.random(in: 0...255, using: &generator) }
            pixels.replaceSubrange(0..<min(40, pixels.count), with: repeatElement(7, count: min(40, pixels.count)))
            let image = PixelBuffer(width: count, height: 1, layout: layout, pixels: pixels)
            for channel in 0..<layout.channels {
                var expected = [Int](repeating: 0, count: 256)
                for index in stride(from: channel, to: pixels.count, by: layout.channels) {
                    expected[Int(pixels[index])] += 1
                }
                #expect(image.histogram(channel: channel) == expected, "\(count) \(layout) channel \(channel)")
            }
        }
    }

    /// Thresholding gives x > level ? above : below for every level, both modes, on lengths with tails
    /// (the AVX2 kernel takes 128 bytes at a time where the CPU has it), and on images tall enough to be
    /// split over threads (gray, and gray+alpha whose alpha is kept).
    @Test func thresholdMapsEveryLevel() throws {
        var generator = SystemRandomNumberGenerator()
        let row = (0..<128 * 3 + 77).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let tall = (0..<515 * 600).map { _ in UInt8.random(in: 0...255, using: &generator) }
        for (image, parallelism) in [
            (PixelBuffer(width: row.count, height: 1, layout: .gray, pixels: row), Parallelism.single),
            (PixelBuffer(width: 515, height: 600, layout: .gray, pixels: tall), .allCores),
            (PixelBuffer(width: 515, height: 300, layout: .grayAlpha, pixels: tall), .allCores),
        ] {
            for level in [0, 1, 127, 128, 200, 254, 255] {
                for mode in ThresholdMode.allCases {
                    let (above, below): (UInt8, UInt8) = mode == .binary ? (255, 0) : (0, 255)
                    let expected = PixelBuffer(
                        width: image.width, height: image.height, layout: image.layout,
                        pixels: image.pixels.enumerated().map { index, value in
                            index % image.channels == 1 ? value : Int(value) > level ? above : below
                        })
                    // PixelBuffers, not their pixel arrays: a failure prints sizes, not 300,000 bytes.
                    let result = try image.thresholded(
                        value: level, mode: mode, parallelism: parallelism, bandBytes: 16_384)
                    #expect(result == expected, "\(image.layout) \(image.height) rows, \(level) \(mode)")
                }
            }
        }
    }

    @Test func vectorRoundingMatchesClampToByte() {
        let extremes: [Float] = [-0.5, -0.4999, 254.5, 255.4999, 255.5, 1e5, -1e5, 2e9, -2e9, 40_000, -40_000, 0]
        let values = extremes + extremes.reversed() + (-1200...2400).map { Float($0) / 4 }
        for count in [values.count, values.count - 5, 15, 3] {
            var output = [UInt8](repeating: 7, count: count)
            values.withUnsafeBufferPointer { values in
                output.withUnsafeMutableBufferPointer { output in
                    storeRounded(values.baseAddress!, to: output.baseAddress!, count: count)
                }
            }
            #expect(output == values.prefix(count).map(clampToByte), "\(count) values")
        }
    }

    @Test(arguments: [1, 3, 7, 30])
    func minFilterEqualsAWindowScan(radius: Int) {
        let (width, height) = (53, 41)
        let original = (0..<width * height).map { _ in UInt8.random(in: 0...255) }
        var plane = original
        plane.withUnsafeMutableBufferPointer {
            MinFilter.apply(
                $0.baseAddress!, width: width, height: height, radius: radius, parallelism: Parallelism(threads: 3))
        }
        var floats = original.map(Float.init)
        floats.withUnsafeMutableBufferPointer {
            MinFilter.apply($0.baseAddress!, width: width, height: height, radius: radius, parallelism: .single)
        }
        for y in 0..<height {
            for x in 0..<width {
                var low = UInt8.max
                for row in max(0, y - radius)...min(height - 1, y + radius) {
                    for column in max(0, x - radius)...min(width - 1, x + radius) {
                        low = min(low, original[row * width + column])
                    }
                }
                #expect(plane[y * width + x] == low, "radius \(radius) at \(x),\(y)")
                #expect(floats[y * width + x] == Float(low))
            }
        }
    }

    /// Seven planes at once (running sums go four planes at a time, then two, then one), radii from 1 to
    /// wider than the image, in bands of several rows and of one (each band starts its own window).
    @Test(arguments: [1, 4, 17, 25, 80])
    func boxMeanEqualsAClippedWindowAverage(radius: Int) {
        let (width, height, planes) = (37, 29, 7)
        let values = (0..<planes * width * height).map { _ in Double.random(in: 0...1) }
        var means = [Double](repeating: .nan, count: planes * width * height)
        let box = BoxMean(width: width, height: height, radius: radius, planes: planes)
        let fill: BoxMeanRows.Fill = { y, plane, sign, sums in
            for x in 0..<width { sums[x] += sign * values[(plane * height + y) * width + x] }
        }
        for band in [0..<10, 10..<11, 11..<height] {
            let rows = BoxMeanRows(box, rows: band, fill: fill)
            for y in band {
                let rowMeans = rows.advance(fill: fill)
                for plane in 0..<planes {
                    for x in 0..<width { means[(plane * height + y) * width + x] = rowMeans[plane * width + x] }
                }
            }
        }
        for plane in 0..<planes {
            for y in 0..<height {
                for x in 0..<width {
                    var sum = 0.0
                    var count = 0
                    for row in max(0, y - radius)...min(height - 1, y + radius) {
                        for column in max(0, x - radius)...min(width - 1, x + radius) {
                            sum += values[(plane * height + row) * width + column]
                            count += 1
                        }
                    }
                    let mean = means[(plane * height + y) * width + x]
                    #expect(abs(mean - sum / Double(count)) < 1e-9, "radius \(radius), plane \(plane) at \(x),\(y)")
                }
            }
        }
    }

    @Test func guidedFilterWithTheInputAsGuideAndTinyEpsIsNearlyTheIdentity() {
        let (width, height) = (40, 30)
        let plane = (0..<width * height).map { _ in Float.random(in: 0...1) }
        var filtered = [Float](repeating: .nan, count: plane.count)
        filtered.withUnsafeMutableBufferPointer { filtered in
            // Rows arrive from parallel bands, each once.
            GuidedFilter(radius: 3, eps: 1e-10, subsampling: 1).filter(
                guide: plane, input: plane, width: width, height: height, parallelism: Parallelism(threads: 3)
            ) { y, row in
                for x in 0..<width { filtered[y * width + x] = row[x] }
            }
        }
        for index in plane.indices { #expect(abs(filtered[index] - plane[index]) < 1e-3) }
    }
}
