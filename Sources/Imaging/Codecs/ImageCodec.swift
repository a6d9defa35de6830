import Foundation

/// Decoding and encoding by format: the entry point for bytes in and bytes out.
public enum ImageCodec {
    /// The header of JPEG or PNG bytes: format by magic bytes, size, layout, orientation. Decodes no pixel.
    public static func header(of bytes: some ContiguousBytes) throws(ImagingError) -> ImageHeader {
        try withRawBytes(bytes) { raw throws(ImagingError) in
            switch try format(of: raw) {
            case .jpeg: try JPEGCodec.header(raw)
            case .png: try PNGCodec.header(raw)
            }
        }
    }

    /// Decodes JPEG or PNG bytes, checking the pixel limit from the header first. The result is in stored
    /// orientation; `autorotated(_:)` applies EXIF orientation.
    public static func decode(
        _ bytes: some ContiguousBytes, options: DecodeOptions = DecodeOptions()
    ) throws(ImagingError) -> PixelBuffer {
        try withRawBytes(bytes) { raw throws(ImagingError) in
            switch try format(of: raw) {
            case .jpeg: try JPEGCodec.decode(raw, options: options)
            case .png: try PNGCodec.decode(raw, options: options)
            }
        }
    }

    /// Encodes to JPEG (`quality` 1…100, alpha dropped) or PNG (lossless; `quality` unused).
    public static func encode(
        _ image: PixelBuffer, as format: ImageFormat, quality: Int = 90, fastPNG: Bool = true
    ) throws(ImagingError) -> [UInt8] {
        switch format {
        case .jpeg: try JPEGCodec.encode(image, quality: quality)
        case .png: try PNGCodec.encode(image, fast: fastPNG)
        }
    }

    private static func format(of raw: UnsafeRawBufferPointer) throws(ImagingError) -> ImageFormat {
        guard !raw.isEmpty else { throw .empty }
        guard let format = ImageFormat.sniff(raw) else {
            // The first bytes of a signature, cut short, are a truncated file rather than an unknown one.
            if raw.count < 8, [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A].starts(with: raw) { throw .truncated(.png) }
            if raw.count < 3, [0xFF, 0xD8].starts(with: raw) { throw .truncated(.jpeg) }
            throw .unsupportedFormat
        }
        return format
    }

    private static func withRawBytes<Result>(
        _ bytes: some ContiguousBytes, _ body: (UnsafeRawBufferPointer) throws(ImagingError) -> Result
    ) throws(ImagingError) -> Result {
        let outcome: Swift.Result<Result, ImagingError> = bytes.withUnsafeBytes { raw in
            do throws(ImagingError) { return .success(try body(raw)) } catch { return .failure(error) }
        }
        return try outcome.get()
    }
}
