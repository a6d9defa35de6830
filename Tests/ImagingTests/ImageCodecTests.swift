import Imaging
import TestImages
import Testing

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
