/// How the bytes of one pixel are laid out: 8 bits per channel, interleaved, RGB order.
public enum PixelLayout: Int, Sendable, Codable, CaseIterable {
    case gray = 1
    case grayAlpha = 2
    case rgb = 3
    case rgba = 4

    /// Bytes per pixel.
    public var channels: Int { rawValue }

    public var hasAlpha: Bool { self == .grayAlpha || self == .rgba }

    public var isColor: Bool { self == .rgb || self == .rgba }

    /// The layout with the same colour channels and no alpha.
    public var opaque: PixelLayout { isColor ? .rgb : .gray }

    /// The colour channels before the alpha channel, if any.
    var colorChannels: Int { isColor ? 3 : 1 }
}

/// An 8-bit image in memory: rows top to bottom, no padding between rows.
public struct PixelBuffer: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public let layout: PixelLayout
    public var pixels: [UInt8]

    /// A buffer whose bytes are all `fill`.
    public init(width: Int, height: Int, layout: PixelLayout, fill: UInt8 = 0) {
        precondition(width >= 0 && height >= 0)
        self.width = width
        self.height = height
        self.layout = layout
        self.pixels = [UInt8](hugePagesRepeating: fill, count: width * height * layout.channels)
    }

    /// Wraps existing bytes; their count must be `width × height × channels`.
    public init(width: Int, height: Int, layout: PixelLayout, pixels: [UInt8]) {
        precondition(pixels.count == width * height * layout.channels, "pixel count does not match the size")
        self.width = width
        self.height = height
        self.layout = layout
        self.pixels = pixels
    }

    /// A buffer whose bytes `initialize` writes, every one of them; nothing is zeroed first.
    init(
        width: Int, height: Int, layout: PixelLayout,
        initializingWith initialize: (UnsafeMutablePointer<UInt8>) throws -> Void
    ) rethrows {
        self.width = width
        self.height = height
        self.layout = layout
        self.pixels = try [UInt8](hugePagesCount: width * height * layout.channels, initializingWith: initialize)
    }

    public var channels: Int { layout.channels }
    public var rowBytes: Int { width * layout.channels }
    public var pixelCount: Int { width * height }
    public var byteCount: Int { pixels.count }

    /// The bytes of pixel (x, y).
    public subscript(x: Int, y: Int) -> ArraySlice<UInt8> {
        let start = (y * width + x) * channels
        return pixels[start..<start + channels]
    }
}

extension PixelBuffer: CustomStringConvertible {
    public var description: String { "PixelBuffer(\(width)×\(height) \(layout))" }
}
