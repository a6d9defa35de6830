import Imaging
import TestImages
import Testing

/// Bad bytes give typed errors, never a crash or a half image.
@Suite(.offCooperativePool) struct MalformedInputTests {
    @Test func emptyAndUnknownBytes() {
        #expect(throws: ImagingError.empty) { try ImageCodec.decode([UInt8]()) }
        #expect(throws: ImagingError.unsupportedFormat) { try ImageCodec.decode(Array("GIF89a, not really".utf8)) }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            var random = (0..<Int.random(in: 1...4096, using: &generator)).map { _ in UInt8.random(in: 0...255) }
            if random.starts(with: [0xFF, 0xD8, 0xFF]) || random.starts(with: [0x89, 0x50]) { random[0] = 0 }
            #expect(throws: ImagingError.unsupportedFormat) { try ImageCodec.decode(random) }
        }
    }

    @Test func randomBytesBehindAMagicNumberAreCorruptOrTruncated() {
        for magic: [UInt8] in [[0xFF, 0xD8, 0xFF], [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]] {
            for length in [0, 10, 100, 5000] {
                let bytes = magic + (0..<length).map { _ in UInt8.random(in: 0...255) }
                #expect(Self.isCorruptOrTruncated { try ImageCodec.decode(bytes) }, "\(bytes.count) bytes")
            }
        }
    }

    @Test func truncatedJPEGIsTruncated() throws {
        let bytes = try Fixture.bytes("robin.jpg")
        for fraction in [0.5, 0.9, 0.999] {
            let cut = Array(bytes.prefix(Int(Double(bytes.count) * fraction)))
            #expect(throws: ImagingError.truncated(.jpeg)) { try ImageCodec.decode(cut) }
        }
    }

    /// A prefix either fails as corrupt or truncated, or (a PNG cut inside its trailing IEND chunk, after
    /// every pixel was read and checksummed) decodes to exactly the whole image.
    @Test func everyPrefixOfASmallJPEGAndPNGFailsOrIsWhole() throws {
        let image = positionImage(width: 24, height: 16)
        for format in ImageFormat.allCases {
            let bytes = try ImageCodec.encode(image, as: format, quality: 80)
            let whole = try ImageCodec.decode(bytes)
            let iend = format == .png ? bytes.count - 12 : bytes.count
            for length in 1..<bytes.count {
                let prefix = Array(bytes.prefix(length))
                if length >= iend {
                    #expect(try ImageCodec.decode(prefix) == whole, "\(format) cut at \(length)")
                } else {
                    #expect(Self.isCorruptOrTruncated { try ImageCodec.decode(prefix) }, "\(format) cut at \(length)")
                }
            }
        }
    }

    @Test func truncatedPNGIsTruncated() throws {
        let bytes = try Fixture.bytes("robin.png")
        let cut = Array(bytes.prefix(bytes.count / 2))
        #expect(throws: ImagingError.truncated(.png)) { try ImageCodec.decode(cut) }
    }

    @Test func absurdDimensionsAreRejectedFromTheHeader() throws {
        let huge = PNGBytes(width: 100_000, height: 100_000, scanlines: [0, 0])
        #expect(try ImageCodec.header(of: huge.bytes).width == 100_000)
        #expect(throws: ImagingError.tooManyPixels(width: 100_000, height: 100_000, limit: 100_000_000)) {
            try ImageCodec.decode(huge.bytes)
        }
        // The limit is configurable, and applies to JPEG too.
        #expect(throws: ImagingError.tooManyPixels(width: 380, height: 254, limit: 10_000)) {
            try ImageCodec.decode(Fixture.bytes("robin.jpg"), options: DecodeOptions(pixelLimit: 10_000))
        }
        let zeroWidth = PNGBytes(width: 0, height: 10, scanlines: [0])
        #expect(Self.isCorruptOrTruncated { try ImageCodec.decode(zeroWidth.bytes) })
    }

    @Test func jpegWithAWrongStartOfFrameIsCorrupt() throws {
        let bytes = try Fixture.bytes("robin.jpg")
        let sof = try #require(Self.segment(0xC0, in: bytes))
        // A lossless-process marker libjpeg-turbo does not decode.
        var lossless = bytes
        lossless[sof + 1] = 0xC3
        #expect(Self.isCorrupt { try ImageCodec.decode(lossless) })
        // Zero components.
        var noComponents = bytes
        noComponents[sof + 9] = 0
        #expect(Self.isCorrupt { try ImageCodec.decode(noComponents) })
        // 12-bit precision, which this build does not support.
        var precision = bytes
        precision[sof + 4] = 12
        #expect(Self.isCorrupt { try ImageCodec.decode(precision) })
        // A zero height.
        var zeroHeight = bytes
        zeroHeight[sof + 5] = 0
        zeroHeight[sof + 6] = 0
        #expect(Self.isCorrupt { try ImageCodec.decode(zeroHeight) })
    }

    @Test func pngWithABadChecksumIsCorrupt() throws {
        var bytes = try Fixture.bytes("robin.png")
        // Flip a byte inside the first IDAT's data: the chunk CRC no longer matches.
        let idat = try #require(Self.find(Array("IDAT".utf8), in: bytes))
        bytes[idat + 20] ^= 0xFF
        #expect(Self.isCorrupt { try ImageCodec.decode(bytes) })
    }

    /// The offset of marker 0xFF `code` in a JPEG.
    static func segment(_ code: UInt8, in bytes: [UInt8]) -> Int? {
        var offset = 2
        while offset + 4 < bytes.count, bytes[offset] == 0xFF {
            if bytes[offset + 1] == code { return offset }
            offset += 2 + (Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3]))
        }
        return nil
    }

    static func find(_ needle: [UInt8], in bytes: [UInt8]) -> Int? {
        (0...(bytes.count - needle.count)).first { bytes[$0..<$0 + needle.count].elementsEqual(needle) }
    }

    static func isCorruptOrTruncated(_ body: () throws -> PixelBuffer) -> Bool {
        do {
            _ = try body()
            return false
        } catch let error as ImagingError {
            switch error {
            case .truncated, .corrupt, .invalidDimensions: return true
            default: return false
            }
        } catch {
            return false
        }
    }

    static func isCorrupt(_ body: () throws -> PixelBuffer) -> Bool {
        do {
            _ = try body()
            return false
        } catch let error as ImagingError {
            if case .corrupt = error { return true }
            return false
        } catch {
            return false
        }
    }
}
