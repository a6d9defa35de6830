/// The blurs `blur` offers.
public enum BlurKind: String, Sendable, Codable, CaseIterable {
    case gaussian
    /// A mean over a (2·radius + 1)² square.
    case box
    /// The median over a (2·radius + 1)² square, per channel.
    case median
}

extension PixelBuffer {
    /// A Gaussian blur with standard deviation `sigma` pixels (kernel size round(6σ + 1), made odd, as
    /// OpenCV); borders mirrored without repeating the edge pixel.
    public func gaussianBlurred(sigma: Double, parallelism: Parallelism = .allCores) throws(ImagingError) -> PixelBuffer
    {
        guard sigma > 0, sigma <= 200 else {
            throw .invalidParameter(operation: "blur", message: "sigma must be in (0, 200], got \(sigma)")
        }
        return convolved(with: .gaussian(sigma: sigma), finish: .blur, parallelism: parallelism)
    }

    /// The mean over a (2·`radius` + 1)² square.
    public func boxBlurred(radius: Int, parallelism: Parallelism = .allCores) throws(ImagingError) -> PixelBuffer {
        try Self.checkRadius(radius, of: .box)
        return convolved(with: .box(radius: radius), finish: .blur, parallelism: parallelism)
    }

    /// Unsharp mask: source + amount · (source − Gaussian(sigma)) wherever the difference is at least
    /// `threshold` levels (0…255); alpha is left as it is.
    public func sharpened(
        sigma: Double, amount: Double, threshold: Int = 0, parallelism: Parallelism = .allCores
    ) throws(ImagingError) -> PixelBuffer {
        try Self.checkSharpen(sigma: sigma, amount: amount, threshold: threshold)
        return convolved(
            with: .gaussian(sigma: sigma), finish: .unsharp(amount: Float(amount), threshold: Float(threshold)),
            parallelism: parallelism)
    }
}

/// The parameter ranges of the blurs and of sharpen, checked here for the operations and for
/// `Operation.validate`, so that both give the same answer.
extension PixelBuffer {
    /// A Gaussian's sigma: (0, 200] pixels.
    static func checkSigma(_ sigma: Double, operation: String) throws(ImagingError) {
        guard sigma > 0, sigma <= 200 else {
            throw .invalidParameter(operation: operation, message: "sigma must be in (0, 200], got \(sigma)")
        }
    }

    /// A box radius is 1…200; a median radius 1…50 (its cost grows with the radius).
    static func checkRadius(_ radius: Int, of kind: BlurKind) throws(ImagingError) {
        let limit = kind == .median ? 50 : 200
        guard (1...limit).contains(radius) else {
            throw .invalidParameter(
                operation: "blur", message: "a \(kind.rawValue) radius must be 1…\(limit), got \(radius)")
        }
    }

    static func checkSharpen(sigma: Double, amount: Double, threshold: Int) throws(ImagingError) {
        try checkSigma(sigma, operation: "sharpen")
        guard amount >= 0, amount <= 20 else {
            throw .invalidParameter(operation: "sharpen", message: "amount must be 0…20, got \(amount)")
        }
        guard (0...255).contains(threshold) else {
            throw .invalidParameter(operation: "sharpen", message: "threshold must be 0…255, got \(threshold)")
        }
    }
}
