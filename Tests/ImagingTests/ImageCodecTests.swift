import TestImages
import Testing

@testable import Imaging

@Suite(.offCooperativePool) struct ImageCodecTests {
    @Test func jpegDecodeIsBitForBitOpenCVs() throws {
        let expected = try Fixture.expected()["jpeg_decode"] as! [String: Any]
        let image = try Fixture.image("robin.jpg")
        #expect(image.width == expected["width"] as! Int && image.height == expected["height"] as! Int)
        #expect(image.layout == .rgb)
        #expect(sha256Hex(image.pixels) == expected["sha256_rgb"] as! String)
    }

    @Test func headersAreReadWithoutDecoding() throws {
        let jpeg = try ImageCodec.header(of: Fixture.bytes("robin.jpg"))
        #expect(jpeg == ImageHeader(format: .jpeg, width: 380, height: 254, layout: .rgb, orientation: .up))
        let png = try ImageCodec.header(of: Fixture.bytes("camera.png"))
        #expect(png == ImageHeader(format: .png, width: 256, height: 256, layout: .gray, orientation: .up))
    }

    @Test func scaledJPEGDecodePicksTheSmallestScaleThatCoversTheTarget() throws {
        let bytes = try Fixture.bytes("robin.jpg")
        let full = try ImageCodec.decode(bytes)
        for (minimum, expected) in [
            ((100, 60), (190, 127)), ((90, 60), (95, 64)), ((40, 30), (48, 32)), ((200, 10), (380, 254)),
        ] {
            let scaled = try ImageCodec.decode(bytes, options: DecodeOptions(minimumSize: minimum))
            #expect((scaled.width, scaled.height) == expected, "minimum \(minimum)")
            // Decode-time scaling is an average of 8×8 blocks: close to an area resize of the full image.
            let reference = full.resampled(width: scaled.width, height: scaled.height, filter: .area)
            #expect(ImageComparison.psnr(scaled, reference) > 28, "minimum \(minimum)")
        }
    }

    @Test(arguments: PixelLayout.allCases)
    func pngRoundTripsEveryLayoutExactly(layout: PixelLayout) throws {
        let image = positionImage(width: 37, height: 23, layout: layout)
        for fast in [true, false] {
            let encoded = try ImageCodec.encode(image, as: .png, fastPNG: fast)
            #expect(ImageFormat.sniff(encoded) == .png)
            #expect(try ImageCodec.decode(encoded) == image)
        }
    }

    /// PNG is written with OpenCV's settings: fast (the default) at zlib level 1 with run-length matching
    /// and the "sub" row filter, otherwise level 6 — the zlib header's FLEVEL bits (0: fastest, 2: default)
    /// in the first IDAT say which. A horizontal ramp shows the filter: "sub" turns each row into ones,
    /// a few hundred bytes; unfiltered, run-length matching finds nothing (49 KB; level 3 unfiltered, 1.4 KB).
    @Test func pngEncodeUsesOpenCVsSettings() throws {
        let ramp = PixelBuffer(
            width: 256, height: 64, layout: .rgb,
            pixels: (0..<256 * 64).flatMap { Array(repeating: UInt8($0 % 256), count: 3) })
        let rampBytes = try ImageCodec.encode(ramp, as: .png, fastPNG: true)
        #expect(rampBytes.count < 400)
        #expect(try ImageCodec.decode(rampBytes) == ramp)
        let photo = try Fixture.image("robin.png")
        for (fast, header) in [(true, [0x78, 0x01] as [UInt8]), (false, [0x78, 0x9C])] {
            let encoded = try ImageCodec.encode(photo, as: .png, fastPNG: fast)
            let idat = try #require(encoded.indices.first { Array(encoded[$0..<$0 + 4]) == Array("IDAT".utf8) })
            #expect(Array(encoded[idat + 4..<idat + 6]) == header, "fast \(fast)")
            #expect(try ImageCodec.decode(encoded) == photo)
        }
    }

    /// libpng reports a failure by longjmp; the shim catches it, frees libpng's state and the encoder
    /// throws, whatever the point of failure (here, output that outgrows its buffer at several sizes).
    @Test func pngWriteFailureIsAnErrorNotACrash() throws {
        let photo = try Fixture.image("robin.png")
        for capacity in [0, 8, 100, 5000] {
            #expect(throws: ImagingError.self, "capacity \(capacity)") {
                try PNGCodec.encode(photo, fast: true, capacity: capacity)
            }
        }
        let whole = try PNGCodec.encode(photo, fast: true)
        #expect(try PNGCodec.encode(photo, fast: true, capacity: whole.count) == whole)
    }

    @Test func jpegRoundTripKeepsTheImage() throws {
        let photo = try Fixture.image("robin.png")
        let encoded = try ImageCodec.encode(photo, as: .jpeg, quality: 90)
        let decoded = try ImageCodec.decode(encoded)
        #expect(decoded.layout == .rgb && decoded.width == photo.width)
        #expect(ImageComparison.psnr(decoded, photo) > 30)
        let gray = try Fixture.image("camera.png")
        let grayDecoded = try ImageCodec.decode(ImageCodec.encode(gray, as: .jpeg, quality: 95))
        #expect(grayDecoded.layout == .gray)
        #expect(ImageComparison.psnr(grayDecoded, gray) > 35)
        // JPEG has no alpha: RGBA is written as RGB, gray+alpha as gray.
        let rgba = try ImageCodec.decode(
            ImageCodec.encode(positionImage(width: 16, height: 16, layout: .rgba), as: .jpeg))
        #expect(rgba.layout == .rgb)
        let grayAlpha = try ImageCodec.decode(
            ImageCodec.encode(positionImage(width: 16, height: 16, layout: .grayAlpha), as: .jpeg))
        #expect(grayAlpha.layout == .gray)
        #expect(throws: ImagingError.self) { try ImageCodec.encode(photo, as: .jpeg, quality: 0) }
    }

    @Test func sixteenBitPNGIsReducedToEightBits() throws {
        // 2×1 gray, 16-bit: 0x1234 and 0xFFFF.
        let gray = PNGBytes(width: 2, height: 1, bitDepth: 16, colorType: 0, scanlines: [0, 0x12, 0x34, 0xFF, 0xFF])
        let decoded = try ImageCodec.decode(gray.bytes)
        #expect(decoded.layout == .gray && decoded.width == 2)
        #expect(abs(Int(decoded.pixels[0]) - 0x1234 / 257) <= 1)
        #expect(decoded.pixels[1] == 255)
        // 1×1 RGBA, 16-bit.
        let rgba = PNGBytes(
            width: 1, height: 1, bitDepth: 16, colorType: 6,
            scanlines: [0, 0xFF, 0xFF, 0x80, 0x00, 0x00, 0x00, 0xFF, 0xFF])
        let decodedRGBA = try ImageCodec.decode(rgba.bytes)
        #expect(decodedRGBA.layout == .rgba)
        #expect(decodedRGBA.pixels[0] == 255 && abs(Int(decodedRGBA.pixels[1]) - 128) <= 1)
        #expect(decodedRGBA.pixels[2] == 0 && decodedRGBA.pixels[3] == 255)
    }
}
