import Foundation

extension ImageOperation {
    /// The size of the largest buffer this step allocates on a `width` × `height` input, computed without
    /// allocating, so the pipeline can refuse it first. Sizes that do not fit in `Int` saturate.
    public func largestOutput(width: Int, height: Int, orientation: Orientation) -> (width: Int, height: Int) {
        switch self {
        case .resize(let requestedWidth, let requestedHeight, let fit, _):
            // A `cover` resize scales first, then crops: the scaled image is the larger one.
            guard
                let box = try? ResizeBox(
                    sourceWidth: width, sourceHeight: height, width: requestedWidth, height: requestedHeight, fit: fit)
            else { return (width, height) }
            return (max(box.width, box.scaledWidth), max(box.height, box.scaledHeight))
        case .rotate(let degrees, let expand, _):
            guard expand, degrees.isFinite else { return (width, height) }
            let radians = degrees.truncatingRemainder(dividingBy: 360) * Double.pi / 180
            let (cosine, sine) = (abs(cos(radians)), abs(sin(radians)))
            return (
                Self.saturating(Double(height) * sine + Double(width) * cosine),
                Self.saturating(Double(height) * cosine + Double(width) * sine)
            )
        case .crop(_, _, let cropWidth, let cropHeight):
            return (min(width, cropWidth), min(height, cropHeight))
        case .autorotate:
            return orientation.swapsAxes ? (height, width) : (width, height)
        case .sharpen, .threshold, .color, .blur, .flip, .dehaze:
            return (width, height)
        }
    }

    private static func saturating(_ value: Double) -> Int {
        let rounded = value.rounded(.up)
        return rounded < Double(Int.max) ? Int(rounded) : Int.max
    }
}
