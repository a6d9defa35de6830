/// How to decode: the pixel limit, and the smallest size the caller needs (for scaled JPEG decode).
public struct DecodeOptions: Sendable {
    /// Largest width × height accepted, checked against the header before any pixel buffer exists.
    /// Default 100,000,000 (100 MP).
    public var pixelLimit: Int
    /// When set, a JPEG may be decoded at 1/2, 1/4 or 1/8 scale as long as both sides stay at or
    /// above this size (in stored, not oriented, pixels). Nil decodes at full size.
    public var minimumSize: (width: Int, height: Int)?

    public static let defaultPixelLimit = 100_000_000

    public init(pixelLimit: Int = DecodeOptions.defaultPixelLimit, minimumSize: (width: Int, height: Int)? = nil) {
        self.pixelLimit = pixelLimit
        self.minimumSize = minimumSize
    }

    func check(width: Int, height: Int, format: ImageFormat) throws(ImagingError) {
        guard width > 0, height > 0 else {
            throw .invalidDimensions(width: width, height: height)
        }
        guard width * height <= pixelLimit else {
            throw .tooManyPixels(width: width, height: height, limit: pixelLimit)
        }
    }
}
