/// How `resize` fits an image into the requested box.
public enum ResizeFit: String, Sendable, Codable, CaseIterable {
    /// Fit inside the box, keeping the aspect ratio (one side may be smaller than asked).
    case contain
    /// Cover the box, keeping the aspect ratio, then crop the overflow from the centre.
    case cover
    /// Stretch to exactly the box.
    case fill
}

/// The interpolation kernels `resize` offers.
public enum ResampleFilter: String, Sendable, Codable, CaseIterable {
    /// Box coverage (OpenCV's INTER_AREA) when shrinking; bilinear when enlarging.
    case area
    case bilinear
    /// Keys' cubic with a = −0.75, as OpenCV's INTER_CUBIC.
    case bicubic
    case lanczos3
}

/// How `threshold` maps pixels above the threshold.
public enum ThresholdMode: String, Sendable, Codable, CaseIterable {
    /// Above the threshold → 255, else 0.
    case binary
    /// Above the threshold → 0, else 255.
    case binaryInverted = "binary_inv"
}

/// The colour conversions `color` offers.
public enum ColorMode: String, Sendable, Codable, CaseIterable {
    /// Luma Y = 0.299 R + 0.587 G + 0.114 B (OpenCV's 15-bit fixed-point weights).
    case gray
    /// OpenCV's 8-bit HSV: H in 0…179 (degrees / 2), S and V in 0…255, stored in the R, G, B bytes.
    case hsv
    case sepia
    /// 255 − value for the colour channels; alpha kept.
    case invert
}

/// Which way `flip` mirrors.
public enum FlipAxis: String, Sendable, Codable, CaseIterable {
    /// Left and right swap (a mirror).
    case horizontal
    /// Top and bottom swap.
    case vertical
    case both
}

/// The blurs `blur` offers.
public enum BlurKind: String, Sendable, Codable, CaseIterable {
    case gaussian
    /// A mean over a (2·radius + 1)² square.
    case box
    /// The median over a (2·radius + 1)² square, per channel.
    case median
}

/// A colour given as `#RRGGBB` or `#RRGGBBAA` (for backgrounds).
public struct Color: Sendable, Hashable, Codable {
    public var red: UInt8
    public var green: UInt8
    public var blue: UInt8
    public var alpha: UInt8

    public init(red: UInt8, green: UInt8, blue: UInt8, alpha: UInt8 = 255) {
        (self.red, self.green, self.blue, self.alpha) = (red, green, blue, alpha)
    }

    public static let black = Color(red: 0, green: 0, blue: 0)
    public static let transparent = Color(red: 0, green: 0, blue: 0, alpha: 0)

    /// Parses `#RRGGBB` or `#RRGGBBAA` (the `#` optional); nil for anything else.
    public init?(hex: String) {
        let digits = hex.hasPrefix("#") ? hex.dropFirst() : Substring(hex)
        guard digits.count == 6 || digits.count == 8, let value = UInt32(digits, radix: 16) else { return nil }
        let full = digits.count == 6 ? value << 8 | 0xFF : value
        self.init(
            red: UInt8(full >> 24), green: UInt8(full >> 16 & 0xFF), blue: UInt8(full >> 8 & 0xFF),
            alpha: UInt8(full & 0xFF))
    }

    public var hex: String {
        let value = UInt32(red) << 24 | UInt32(green) << 16 | UInt32(blue) << 8 | UInt32(alpha)
        let digits = String(value, radix: 16)
        return "#" + String(repeating: "0", count: 8 - digits.count) + digits
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let color = Color(hex: text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "a colour is #RRGGBB or #RRGGBBAA, got \(text)")
            )
        }
        self = color
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}
