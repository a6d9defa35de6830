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

/// The parameter ranges of the blurs and of sharpen: `OperationLimits`, which `ImageOperation.validate` checks
/// too, so that both give the same answer.
extension PixelBuffer {
    static func checkSigma(_ sigma: Double, operation: String) throws(ImagingError) {
        do { try OperationLimits.checkSigma(sigma, operation: operation) } catch { throw ImagingError(error) }
    }

    static func checkRadius(_ radius: Int, of kind: BlurKind) throws(ImagingError) {
        do { try OperationLimits.checkRadius(radius, of: kind) } catch { throw ImagingError(error) }
    }

    static func checkSharpen(sigma: Double, amount: Double, threshold: Int) throws(ImagingError) {
        do {
            try OperationLimits.checkSharpen(sigma: sigma, amount: amount, threshold: threshold)
        } catch {
            throw ImagingError(error)
        }
    }
}
