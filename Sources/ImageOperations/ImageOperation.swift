/// One step of a processing pipeline, as `POST /v1/process` and jobs name them.
public enum ImageOperation: Sendable, Hashable {
    case resize(width: Int?, height: Int?, fit: ResizeFit, filter: ResampleFilter)
    case sharpen(sigma: Double, amount: Double, threshold: Int)
    case threshold(Threshold, mode: ThresholdMode)
    case color(ColorMode)
    /// For `box` and `median`, `sigma` is the radius in pixels (rounded).
    case blur(sigma: Double, kind: BlurKind)
    /// Counter-clockwise degrees.
    case rotate(degrees: Double, expand: Bool, background: Color?)
    case flip(FlipAxis)
    case crop(x: Int, y: Int, width: Int, height: Int)
    case dehaze(DehazeParameters)
    /// Applies the EXIF orientation the image was decoded with.
    case autorotate

    /// A fixed level or Otsu's.
    public enum Threshold: Sendable, Hashable {
        case value(Int)
        case otsu
    }

    /// The operation's name in JSON.
    public var name: String {
        switch self {
        case .resize: "resize"
        case .sharpen: "sharpen"
        case .threshold: "threshold"
        case .color: "color"
        case .blur: "blur"
        case .rotate: "rotate"
        case .flip: "flip"
        case .crop: "crop"
        case .dehaze: "dehaze"
        case .autorotate: "autorotate"
        }
    }

    public static let names = [
        "resize", "sharpen", "threshold", "color", "blur", "rotate", "flip", "crop", "dehaze", "autorotate",
    ]

    /// Checks the parameters that do not depend on the image (crop and resize bounds are checked on use).
    public func validate() throws(InvalidOperation) {
        func fail(_ message: String) -> InvalidOperation { InvalidOperation(operation: name, message: message) }
        switch self {
        case .resize(let width, let height, _, _):
            try OperationLimits.checkResize(width: width, height: height)
        case .sharpen(let sigma, let amount, let threshold):
            try OperationLimits.checkSharpen(sigma: sigma, amount: amount, threshold: threshold)
        case .threshold(.value(let value), _):
            try OperationLimits.checkThreshold(value)
        case .blur(let sigma, .gaussian):
            try OperationLimits.checkSigma(sigma, operation: name)
        case .blur(let sigma, let kind):
            // For box and median, sigma is the radius, rounded to whole pixels.
            let limit: Double = kind == .median ? 50 : 200
            guard sigma > 0, sigma <= limit else { throw fail("sigma must be in (0, \(Int(limit))], got \(sigma)") }
            try OperationLimits.checkRadius(Int(sigma.rounded()), of: kind)
        case .rotate(let degrees, _, _):
            guard degrees.isFinite, abs(degrees) <= 36_000 else { throw fail("degrees must be a finite angle") }
        case .crop(let x, let y, let width, let height):
            guard x >= 0, y >= 0 else { throw fail("x and y must be 0 or more") }
            guard width > 0, height > 0 else { throw fail("width and height must be 1 or more") }
        case .dehaze(let parameters):
            try parameters.validate()
        case .threshold(.otsu, _), .color, .flip, .autorotate:
            break
        }
    }
}
