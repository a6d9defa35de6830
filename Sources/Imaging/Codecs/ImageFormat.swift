/// The file formats Clearsky decodes and encodes.
public enum ImageFormat: String, Sendable, Codable, CaseIterable {
    case jpeg
    case png

    public var name: String { self == .jpeg ? "JPEG" : "PNG" }
    public var mediaType: String { self == .jpeg ? "image/jpeg" : "image/png" }
    public var fileExtension: String { self == .jpeg ? "jpg" : "png" }

    /// The format named by magic bytes, or nil when the bytes are neither JPEG nor PNG.
    public static func sniff(_ bytes: some Collection<UInt8>) -> ImageFormat? {
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        return nil
    }

    /// The format for a media type such as `image/jpeg`, or nil.
    public init?(mediaType: String) {
        switch mediaType.lowercased() {
        case "image/jpeg", "image/jpg": self = .jpeg
        case "image/png": self = .png
        default: return nil
        }
    }
}

/// What an image's header says, read without decoding any pixel.
public struct ImageHeader: Sendable, Equatable {
    public var format: ImageFormat
    public var width: Int
    public var height: Int
    /// The layout a full decode produces.
    public var layout: PixelLayout
    /// EXIF orientation 1…8 (1 when absent).
    public var orientation: Orientation

    public init(format: ImageFormat, width: Int, height: Int, layout: PixelLayout, orientation: Orientation) {
        (self.format, self.width, self.height, self.layout, self.orientation) = (
            format, width, height, layout, orientation
        )
    }

    public var pixelCount: Int { width * height }

    /// Width and height as displayed after the orientation is applied.
    public var orientedSize: (width: Int, height: Int) {
        orientation.swapsAxes ? (height, width) : (width, height)
    }
}
