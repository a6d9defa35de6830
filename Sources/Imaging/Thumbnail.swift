/// Thumbnails: the longest side scaled to a size, upright, as JPEG.
public struct Thumbnailer: Sendable {
    /// Longest side in pixels. Default 256.
    public var longestSide: Int
    /// JPEG quality 1…100. Default 80.
    public var quality: Int
    public var pixelLimit: Int

    public init(longestSide: Int = 256, quality: Int = 80, pixelLimit: Int = DecodeOptions.defaultPixelLimit) {
        (self.longestSide, self.quality, self.pixelLimit) = (longestSide, quality, pixelLimit)
    }

    /// The thumbnail image: decoded at the smallest JPEG scale that covers the target, area-resampled,
    /// EXIF orientation applied. Images already small enough are not enlarged.
    public func image(from bytes: [UInt8], parallelism: Parallelism = .allCores) throws(ImagingError) -> PixelBuffer {
        let header = try ImageCodec.header(of: bytes)
        let (width, height) = (header.width, header.height)
        let scale = min(1, Double(longestSide) / Double(max(width, height)))
        let targetWidth = max(1, Int((Double(width) * scale).rounded()))
        let targetHeight = max(1, Int((Double(height) * scale).rounded()))
        let decoded = try ImageCodec.decode(
            bytes, options: DecodeOptions(pixelLimit: pixelLimit, minimumSize: (targetWidth, targetHeight)))
        return decoded.resampled(width: targetWidth, height: targetHeight, filter: .area, parallelism: parallelism)
            .oriented(header.orientation, parallelism: parallelism)
    }

    /// The thumbnail as JPEG bytes.
    public func jpeg(from bytes: [UInt8], parallelism: Parallelism = .allCores) throws(ImagingError) -> [UInt8] {
        try ImageCodec.encode(image(from: bytes, parallelism: parallelism), as: .jpeg, quality: quality)
    }
}
