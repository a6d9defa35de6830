import TestImages
import Testing

@testable import Imaging

@Suite(.offCooperativePool) struct GeometryTests {
    let image = positionImage(width: 5, height: 3)

    /// (x, y) of the source pixel that lands at output (x, y), for each transform.
    func expectMoved(_ output: PixelBuffer, width: Int, height: Int, _ source: (Int, Int) -> (Int, Int)) {
        #expect(output.width == width && output.height == height)
        guard output.width == width, output.height == height else { return }
        for y in 0..<height {
            for x in 0..<width {
                let (sx, sy) = source(x, y)
                #expect(output[x, y] == image[sx, sy], "output \(x),\(y) from \(sx),\(sy)")
            }
        }
    }

    @Test func flips() {
        expectMoved(image.flipped(.horizontal), width: 5, height: 3) { (4 - $0, $1) }
        expectMoved(image.flipped(.vertical), width: 5, height: 3) { ($0, 2 - $1) }
        expectMoved(image.flipped(.both), width: 5, height: 3) { (4 - $0, 2 - $1) }
    }

    @Test func rightAngleRotations() throws {
        // Counter-clockwise: the top-right corner comes to the top-left.
        expectMoved(image.rotated(.counterClockwise), width: 3, height: 5) { (4 - $1, $0) }
        expectMoved(image.rotated(.clockwise), width: 3, height: 5) { ($1, 2 - $0) }
        expectMoved(image.rotated(.halfTurn), width: 5, height: 3) { (4 - $0, 2 - $1) }
        // Any multiple of 90° by degrees is the exact move.
        #expect(try image.rotated(degrees: 90) == image.rotated(.counterClockwise))
        #expect(try image.rotated(degrees: -90) == image.rotated(.clockwise))
        #expect(try image.rotated(degrees: 450) == image.rotated(.counterClockwise))
        #expect(try image.rotated(degrees: 360) == image)
        let big = positionImage(width: 301, height: 77, layout: .rgba)
        #expect(big.rotated(.counterClockwise, parallelism: .single) == big.rotated(.counterClockwise))
        #expect(big.rotated(.clockwise).rotated(.counterClockwise) == big)
    }

    /// Quarter turns go in 32×32 tiles: every pixel of every layout lands where it belongs, for sizes that
    /// leave partial tiles and single rows or columns, on one thread and three.
    @Test(arguments: PixelLayout.allCases)
    func quarterTurnsMoveEveryPixel(layout: PixelLayout) {
        var generator = SystemRandomNumberGenerator()
        for (width, height) in [(1, 1), (1, 40), (40, 1), (70, 45), (33, 65)] {
            let pixels = (0..<width * height * layout.channels).map { _ in UInt8.random(in: 0...255, using: &generator)
            }
            let source = PixelBuffer(width: width, height: height, layout: layout, pixels: pixels)
            for parallelism in [Parallelism.single, Parallelism(threads: 3)] {
                let left = source.rotated(.counterClockwise, parallelism: parallelism)
                let right = source.rotated(.clockwise, parallelism: parallelism)
                var misplaced = 0
                for y in 0..<height {
                    for x in 0..<width {
                        if left[y, width - 1 - x] != source[x, y] { misplaced += 1 }
                        if right[height - 1 - y, x] != source[x, y] { misplaced += 1 }
                    }
                }
                #expect(misplaced == 0, "\(width)×\(height) \(layout)")
            }
        }
    }

    @Test(arguments: 1...8)
    func exifOrientationsDisplayUpright(raw: Int) {
        let orientation = Orientation(rawValue: raw)!
        let upright = image.oriented(orientation)
        // Each orientation's definition (EXIF 2.32, tag 0x0112): where the stored row 0 / column 0 belong.
        switch orientation {
        case .up: expectMoved(upright, width: 5, height: 3) { ($0, $1) }
        case .upMirrored: expectMoved(upright, width: 5, height: 3) { (4 - $0, $1) }
        case .down: expectMoved(upright, width: 5, height: 3) { (4 - $0, 2 - $1) }
        case .downMirrored: expectMoved(upright, width: 5, height: 3) { ($0, 2 - $1) }
        case .leftMirrored: expectMoved(upright, width: 3, height: 5) { ($1, $0) }
        case .right: expectMoved(upright, width: 3, height: 5) { ($1, 2 - $0) }
        case .rightMirrored: expectMoved(upright, width: 3, height: 5) { (4 - $1, 2 - $0) }
        case .left: expectMoved(upright, width: 3, height: 5) { (4 - $1, $0) }
        }
    }

    @Test func crop() throws {
        expectMoved(try image.cropped(x: 1, y: 1, width: 3, height: 2), width: 3, height: 2) { ($0 + 1, $1 + 1) }
        for (x, y, width, height) in [(-1, 0, 2, 2), (0, 0, 6, 1), (4, 2, 2, 1), (0, 0, 0, 1)] {
            #expect(throws: ImagingError.self) { try image.cropped(x: x, y: y, width: width, height: height) }
        }
    }

    /// Three- and four-channel pixels are resampled as 4-float vectors, gray ones value by value, in the
    /// same order of operations: resampling each channel as a gray image gives the same bytes, for every
    /// filter, enlarging and shrinking, with and without alpha.
    @Test(arguments: [PixelLayout.rgb, .rgba])
    func colourResamplingEqualsResamplingEachChannel(layout: PixelLayout) {
        var generator = SystemRandomNumberGenerator()
        let (width, height) = (37, 23)
        let channels = layout.channels
        let pixels = (0..<width * height * channels).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let image = PixelBuffer(width: width, height: height, layout: layout, pixels: pixels)
        for filter in ResampleFilter.allCases {
            for (newWidth, newHeight) in [(80, 50), (11, 7), (37, 60), (5, 23)] {
                let resized = image.resampled(width: newWidth, height: newHeight, filter: filter, parallelism: .single)
                for channel in 0..<channels {
                    let plane = PixelBuffer(
                        width: width, height: height, layout: .gray,
                        pixels: stride(from: channel, to: pixels.count, by: channels).map { pixels[$0] })
                    let expected = plane.resampled(
                        width: newWidth, height: newHeight, filter: filter, parallelism: .single
                    ).pixels
                    let actual = stride(from: channel, to: resized.pixels.count, by: channels).map {
                        resized.pixels[$0]
                    }
                    #expect(actual == expected, "\(layout) \(filter) to \(newWidth)×\(newHeight) channel \(channel)")
                }
            }
        }
    }

    /// Colour pixels are sampled four bytes at a time (SSE2), gray ones one by one: rotating each channel
    /// as a gray image must give the same bytes, at every angle, edge and size, with and without alpha.
    @Test(arguments: [PixelLayout.rgb, .rgba])
    func colourRotationEqualsRotatingEachChannel(layout: PixelLayout) throws {
        var generator = SystemRandomNumberGenerator()
        for (width, height) in [(37, 23), (2, 2), (64, 5)] {
            let channels = layout.channels
            let pixels = (0..<width * height * channels).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let image = PixelBuffer(width: width, height: height, layout: layout, pixels: pixels)
            for degrees in [17.0, -30, 123.5, 271] {
                let rotated = try image.rotated(degrees: degrees, parallelism: .single)
                for channel in 0..<channels {
                    let plane = PixelBuffer(
                        width: width, height: height, layout: .gray,
                        pixels: stride(from: channel, to: pixels.count, by: channels).map { pixels[$0] })
                    let expected = try plane.rotated(degrees: degrees, parallelism: .single).pixels
                    let actual = stride(from: channel, to: rotated.pixels.count, by: channels).map {
                        rotated.pixels[$0]
                    }
                    #expect(actual == expected, "\(width)×\(height) \(layout) \(degrees)° channel \(channel)")
                }
            }
        }
    }

    @Test func arbitraryRotationExpandsTheCanvasAndFillsTheBackground() throws {
        let square = PixelBuffer(width: 100, height: 60, layout: .rgb, fill: 200)
        let rotated = try square.rotated(degrees: 45, background: Color(hex: "#102030"))
        // ceil(60 sin 45 + 100 cos 45) on both sides.
        #expect(rotated.width == 114 && rotated.height == 114)
        #expect(Array(rotated[0, 0]) == [0x10, 0x20, 0x30])
        #expect(Array(rotated[57, 57]) == [200, 200, 200])
        let kept = try square.rotated(degrees: 10, expand: false)
        #expect(kept.width == 100 && kept.height == 60)
        #expect(Array(kept[0, 0]) == [0, 0, 0])
        // Images with alpha get a transparent background by default.
        let rgba = try PixelBuffer(width: 10, height: 10, layout: .rgba, fill: 255).rotated(degrees: 30)
        #expect(rgba[0, 0].last == 0)
        #expect(throws: ImagingError.self) { try square.rotated(degrees: .infinity) }
    }

    @Test func resizeFits() throws {
        let photo = positionImage(width: 400, height: 200)
        #expect(try photo.resized(width: 100, height: 100).width == 100)
        #expect(try photo.resized(width: 100, height: 100).height == 50)
        let cover = try photo.resized(width: 100, height: 100, fit: .cover)
        #expect(cover.width == 100 && cover.height == 100)
        let fill = try photo.resized(width: 30, height: 70, fit: .fill, filter: .lanczos3)
        #expect(fill.width == 30 && fill.height == 70)
        #expect(try photo.resized(width: nil, height: 50).width == 100)
        #expect(try photo.resized(width: 800, height: nil, filter: .bicubic).height == 400)
        #expect(throws: ImagingError.self) { try photo.resized(width: nil, height: nil) }
        #expect(throws: ImagingError.self) { try photo.resized(width: 0, height: 10) }
        #expect(throws: ImagingError.self) { try photo.resized(width: 100_000, height: 10) }
    }

    @Test(arguments: ResampleFilter.allCases)
    func resamplingAFlatImageKeepsItFlat(filter: ResampleFilter) {
        let flat = PixelBuffer(width: 33, height: 17, layout: .rgba, fill: 77)
        for (width, height) in [(10, 5), (100, 40), (33, 17), (7, 60)] {
            let resized = flat.resampled(width: width, height: height, filter: filter)
            #expect(resized.pixels.allSatisfy { $0 == 77 }, "\(filter) to \(width)×\(height)")
        }
    }

    @Test func colorModesKeepAlphaAndShape() throws {
        let rgba = positionImage(width: 9, height: 4, layout: .rgba)
        let gray = rgba.converted(.gray)
        #expect(gray.layout == .grayAlpha)
        #expect(rgba.converted(.invert).converted(.invert) == rgba)
        #expect(rgba.converted(.sepia).layout == .rgba)
        #expect(rgba.converted(.hsv).layout == .rgba)
        let fromGray = positionImage(width: 4, height: 4, layout: .gray).converted(.sepia)
        #expect(fromGray.layout == .rgb)
        for index in 0..<rgba.pixelCount {
            #expect(gray.pixels[index * 2 + 1] == rgba.pixels[index * 4 + 3])
            #expect(rgba.converted(.invert).pixels[index * 4] == 255 - rgba.pixels[index * 4])
        }
        // Pure red, green, blue in OpenCV's HSV: hue 0, 60, 120 (degrees / 2).
        let primaries = PixelBuffer(width: 3, height: 1, layout: .rgb, pixels: [255, 0, 0, 0, 255, 0, 0, 0, 255])
        #expect(primaries.hsv().pixels == [0, 255, 255, 60, 255, 255, 120, 255, 255])
    }

    /// RGB → gray goes thirty-two (AVX2) or sixteen pixels at a time: every pixel, the last few of an odd count
    /// too, gets OpenCV's Y = (9798 R + 19235 G + 3735 B + 2¹⁴) >> 15, on one thread and on several.
    @Test func grayWeighsEveryPixelIncludingTheTail() {
        var generator = SystemRandomNumberGenerator()
        for (width, height) in [(1, 1), (3, 1), (7, 3), (16, 1), (17, 2), (33, 1), (49, 1), (101, 13)] {
            let pixels = (0..<width * height * 3).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let image = PixelBuffer(width: width, height: height, layout: .rgb, pixels: pixels)
            let expected = (0..<width * height).map { index in
                let weighted =
                    9798 * Int(pixels[index * 3]) + 19235 * Int(pixels[index * 3 + 1])
                    + 3735 * Int(pixels[index * 3 + 2])
                return UInt8((weighted + 16384) >> 15)
            }
            #expect(image.grayscale(parallelism: .single).pixels == expected, "\(width)×\(height)")
            #expect(image.grayscale(parallelism: Parallelism(threads: 3)).pixels == expected, "\(width)×\(height)")
        }
    }

    /// RGB → HSV goes sixteen pixels at a time with its division tables computed in float lanes: every
    /// pixel, the tail of an odd count too, equals OpenCV's table-driven formula (written out here), and
    /// so does every value of the two tables (all v and all differences 0…255 occur in the ramp image).
    @Test func hsvConvertsEveryPixelIncludingTheTail() {
        var generator = SystemRandomNumberGenerator()
        let saturationTable = (0...255).map { $0 == 0 ? 0 : Int((Double(255 << 12) / Double($0)).rounded()) }
        let hueTable = (0...255).map { $0 == 0 ? 0 : Int((Double(180 << 12) / (6 * Double($0))).rounded()) }
        // Every (value, difference) pair in each hue sector, plus random pixels.
        var ramp: [UInt8] = []
        for high in 0...255 {
            for low in stride(from: 0, through: high, by: 1) {
                ramp += [UInt8(high), UInt8(low), UInt8((high + low) / 2)]
                ramp += [UInt8(low), UInt8(high), UInt8(low)]
                ramp += [UInt8((high + low) / 2), UInt8(low), UInt8(high)]
            }
        }
        let images =
            [(ramp.count / 3, 1, ramp)]
            + [(1, 1), (17, 2), (101, 13)].map { width, height in
                (width, height, (0..<width * height * 3).map { _ in UInt8.random(in: 0...255, using: &generator) })
            }
        for (width, height, pixels) in images {
            let image = PixelBuffer(width: width, height: height, layout: .rgb, pixels: pixels)
            var expected: [UInt8] = []
            for index in 0..<width * height {
                let (r, g, b) = (Int(pixels[3 * index]), Int(pixels[3 * index + 1]), Int(pixels[3 * index + 2]))
                let value = max(r, g, b)
                let difference = value - min(r, g, b)
                let saturation = (difference * saturationTable[value] + 2048) >> 12
                let sector =
                    value == r ? g - b : value == g ? b - r + 2 * difference : r - g + 4 * difference
                var hue = (sector * hueTable[difference] + 2048) >> 12
                if hue < 0 { hue += 180 }
                expected += [UInt8(hue), UInt8(saturation), UInt8(value)]
            }
            for parallelism in [Parallelism.single, Parallelism(threads: 3)] {
                let actual = image.hsv(parallelism: parallelism).pixels
                let first = zip(actual, expected).enumerated().first { $0.element.0 != $0.element.1 }
                #expect(first == nil, "\(width)×\(height): first difference at byte \(first?.offset ?? -1)")
            }
        }
    }

    @Test func sharpenRespectsItsThresholdAndAlpha() throws {
        let photo = try Fixture.image("robin.png")
        #expect(try photo.sharpened(sigma: 2, amount: 1, threshold: 255) == photo)
        #expect(try photo.sharpened(sigma: 2, amount: 0) == photo)
        let rgba = positionImage(width: 20, height: 20, layout: .rgba)
        let sharpened = try rgba.sharpened(sigma: 1, amount: 2)
        for index in 0..<rgba.pixelCount { #expect(sharpened.pixels[index * 4 + 3] == rgba.pixels[index * 4 + 3]) }
        #expect(throws: ImagingError.self) { try photo.sharpened(sigma: 0, amount: 1) }
        #expect(throws: ImagingError.self) { try photo.sharpened(sigma: 1, amount: -1) }
    }

    /// The comparator networks against a median taken by sorting each window, with the border repeated:
    /// 3×3 and 5×5, every layout, rows narrower than one vector, widths that leave a partial last vector,
    /// and rows longer than a strip (1024 bytes) with a partial last strip; with 32-byte (AVX2) and 16-byte
    /// vectors.
    @Test(arguments: [1, 2])
    func smallMediansEqualSortedWindows(radius: Int) throws {
        var generator = SystemRandomNumberGenerator()
        for (width, height, layout) in [
            (3, 4, PixelLayout.rgb), (5, 7, .gray), (17, 9, .gray), (23, 6, .rgb), (1, 1, .rgba), (1, 6, .gray),
            (40, 5, .rgba), (9, 3, .grayAlpha), (700, 3, .rgb),
        ] {
            let channels = layout.rawValue
            let pixels = (0..<width * height * channels).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let image = PixelBuffer(width: width, height: height, layout: layout, pixels: pixels)
            // Both vector widths where the CPU has AVX2: the public call takes the wider one.
            var medians = [try image.medianBlurred(radius: radius, parallelism: .single)]
            if CPUFeatures.hasAVX2 {
                medians.append(image.medianByNetwork(radius: radius, parallelism: .single, avx2: false))
            }
            for median in medians {
                for y in 0..<height {
                    for x in 0..<width {
                        for c in 0..<channels {
                            var window: [UInt8] = []
                            for dy in -radius...radius {
                                for dx in -radius...radius {
                                    let (sy, sx) = (min(max(y + dy, 0), height - 1), min(max(x + dx, 0), width - 1))
                                    window.append(pixels[(sy * width + sx) * channels + c])
                                }
                            }
                            let expected = window.sorted()[window.count / 2]
                            let actual = median.pixels[(y * width + x) * channels + c]
                            #expect(actual == expected, "\(width)×\(height)×\(channels) at \(x),\(y),\(c)")
                        }
                    }
                }
            }
        }
    }

    @Test func blursAreDeterministicAcrossThreadCounts() throws {
        let photo = try Fixture.image("robin.png")
        #expect(try photo.gaussianBlurred(sigma: 2, parallelism: .single) == photo.gaussianBlurred(sigma: 2))
        #expect(try photo.medianBlurred(radius: 3, parallelism: .single) == photo.medianBlurred(radius: 3))
        #expect(try photo.boxBlurred(radius: 9).width == photo.width)
        #expect(throws: ImagingError.self) { try photo.medianBlurred(radius: 0) }
        #expect(throws: ImagingError.self) { try photo.gaussianBlurred(sigma: -1) }
    }
}
