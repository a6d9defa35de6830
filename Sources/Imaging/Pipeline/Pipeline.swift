/// A list of operations run on one image. Each step either changes the buffer in place (flip, invert)
/// or replaces it, so at most two full-size buffers are alive at once.
public struct Pipeline: Sendable, Equatable {
    public var operations: [ImageOperation]

    /// Longest pipeline accepted.
    public static let maximumOperations = OperationLimits.maximumOperations

    /// Largest image (width × height) any step may produce, unless the caller gives another budget: a
    /// request cannot make one operation allocate gigabytes (a 32768² resize, a 45° expanded rotate).
    public static let defaultPixelBudget = DecodeOptions.defaultPixelLimit

    public init(_ operations: [ImageOperation]) throws(ImagingError) {
        guard operations.count <= Self.maximumOperations else {
            throw .invalidParameter(
                operation: "ops", message: "at most \(Self.maximumOperations) operations, got \(operations.count)")
        }
        for operation in operations {
            do { try operation.validate() } catch { throw ImagingError(error) }
        }
        self.operations = operations
    }

    /// Runs every operation in order. `orientation` is what `autorotate` applies.
    public func run(
        on image: PixelBuffer, orientation: Orientation = .up, parallelism: Parallelism = .allCores,
        pixelBudget: Int = Pipeline.defaultPixelBudget
    ) throws(ImagingError) -> PixelBuffer {
        var current = image
        try run(on: &current, orientation: orientation, parallelism: parallelism, pixelBudget: pixelBudget)
        return current
    }

    /// Runs every operation on `image` in place: the caller's buffer is the only reference, so the first
    /// step's input is freed as soon as its output exists. Before a step runs, the largest buffer it will
    /// allocate is checked against `pixelBudget`, and its output is checked again after; between steps
    /// (and between bands inside the long kernels) `parallelism.cancellation` is looked at.
    public func run(
        on image: inout PixelBuffer, orientation: Orientation = .up, parallelism: Parallelism = .allCores,
        pixelBudget: Int = Pipeline.defaultPixelBudget
    ) throws(ImagingError) {
        var orientation = orientation
        for operation in operations {
            if parallelism.isCancelled { throw .cancelled }
            let planned = operation.largestOutput(width: image.width, height: image.height, orientation: orientation)
            try Self.check(operation, planned.width, planned.height, budget: pixelBudget)
            try Self.apply(operation, to: &image, orientation: &orientation, parallelism: parallelism)
            try Self.check(operation, image.width, image.height, budget: pixelBudget)
        }
        if parallelism.isCancelled { throw .cancelled }
    }

    private static func check(_ operation: ImageOperation, _ width: Int, _ height: Int, budget: Int)
        throws(ImagingError)
    {
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        if overflow || pixels > budget {
            throw .overBudget(operation: operation.name, width: width, height: height, budget: budget)
        }
    }

    /// Decodes `bytes`, runs the pipeline and encodes the result. When the pipeline starts by shrinking,
    /// a JPEG is decoded at the smallest scale that still covers the target size.
    public func process(
        _ bytes: [UInt8], format: ImageFormat? = nil, quality: Int = 90,
        pixelLimit: Int = DecodeOptions.defaultPixelLimit,
        parallelism: Parallelism = .allCores, pixelBudget: Int = Pipeline.defaultPixelBudget
    ) throws(ImagingError) -> (bytes: [UInt8], format: ImageFormat, image: PixelBuffer) {
        let header = try ImageCodec.header(of: bytes)
        var options = DecodeOptions(pixelLimit: pixelLimit)
        options.minimumSize = decodeTarget(for: header)
        var image = try ImageCodec.decode(bytes, options: options)
        try run(on: &image, orientation: header.orientation, parallelism: parallelism, pixelBudget: pixelBudget)
        let outputFormat = format ?? header.format
        return (try ImageCodec.encode(image, as: outputFormat, quality: quality), outputFormat, image)
    }

    /// The stored-orientation size a first `resize` needs, when it shrinks the image; nil otherwise.
    public func decodeTarget(for header: ImageHeader) -> (width: Int, height: Int)? {
        var steps = operations[...]
        var oriented = false
        if steps.first == .autorotate {
            oriented = true
            steps = steps.dropFirst()
        }
        guard case .resize(let width, let height, let fit, _)? = steps.first else { return nil }
        let size = oriented ? header.orientedSize : (header.width, header.height)
        guard
            let box = try? ResizeBox(sourceWidth: size.0, sourceHeight: size.1, width: width, height: height, fit: fit),
            box.scaledWidth < size.0, box.scaledHeight < size.1
        else { return nil }
        let swap = oriented && header.orientation.swapsAxes
        return swap ? (box.scaledHeight, box.scaledWidth) : (box.scaledWidth, box.scaledHeight)
    }

    static func apply(
        _ operation: ImageOperation, to image: inout PixelBuffer, orientation: inout Orientation,
        parallelism: Parallelism
    ) throws(ImagingError) {
        switch operation {
        case .resize(let width, let height, let fit, let filter):
            image = try image.resized(width: width, height: height, fit: fit, filter: filter, parallelism: parallelism)
        case .sharpen(let sigma, let amount, let threshold):
            image = try image.sharpened(sigma: sigma, amount: amount, threshold: threshold, parallelism: parallelism)
        case .threshold(.value(let value), let mode):
            image = try image.thresholded(value: value, mode: mode, parallelism: parallelism)
        case .threshold(.otsu, let mode):
            image = image.otsuThresholded(mode: mode, parallelism: parallelism).image
        case .color(.invert):
            image.invert()
        case .color(let mode):
            image = image.converted(mode, parallelism: parallelism)
        case .blur(let sigma, .gaussian):
            image = try image.gaussianBlurred(sigma: sigma, parallelism: parallelism)
        case .blur(let sigma, .box):
            image = try image.boxBlurred(radius: Int(sigma.rounded()), parallelism: parallelism)
        case .blur(let sigma, .median):
            image = try image.medianBlurred(radius: Int(sigma.rounded()), parallelism: parallelism)
        case .rotate(let degrees, let expand, let background):
            image = try image.rotated(
                degrees: degrees, expand: expand, background: background, parallelism: parallelism)
        case .flip(let axis):
            image.flip(axis)
        case .crop(let x, let y, let width, let height):
            image = try image.cropped(x: x, y: y, width: width, height: height)
        case .dehaze(let parameters):
            image = try image.dehazed(parameters, parallelism: parallelism)
        case .autorotate:
            image = image.oriented(orientation, parallelism: parallelism)
            orientation = .up
        }
    }
}
