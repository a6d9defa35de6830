/// Why an image could not be decoded, encoded or processed.
public enum ImagingError: Error, Sendable, Equatable {
    /// No bytes at all.
    case empty
    /// The bytes are not a format Clearsky reads (it reads JPEG and PNG, told apart by magic bytes).
    case unsupportedFormat
    /// The data ends before the image does.
    case truncated(ImageFormat)
    /// The data is damaged or not valid for its format; the message is the codec's.
    case corrupt(ImageFormat, String)
    /// Width × height is above the configured limit; checked from the header, before decoding.
    case tooManyPixels(width: Int, height: Int, limit: Int)
    /// The image has a zero or negative dimension, or one larger than the codec can hold.
    case invalidDimensions(width: Int, height: Int)
    /// An encoder failed; the message is the codec's.
    case encodeFailed(ImageFormat, String)
    /// An operation parameter is out of its range or does not fit the image.
    case invalidParameter(operation: String, message: String)
    /// An operation's output (width × height) would pass the pipeline's pixel budget; checked before the
    /// output is allocated.
    case overBudget(operation: String, width: Int, height: Int, budget: Int)
    /// The caller gave up (its `Cancellation` was set); the partial result was dropped.
    case cancelled
}

extension ImagingError {
    /// An operation's parameter out of range, as the kernels report it.
    public init(_ invalid: InvalidOperation) {
        self = .invalidParameter(operation: invalid.operation, message: invalid.message)
    }
}

extension ImagingError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .empty: "the image is empty (0 bytes)"
        case .unsupportedFormat: "not a JPEG or PNG image"
        case .truncated(let format): "the \(format.name) data is truncated"
        case .corrupt(let format, let message): "the \(format.name) data is corrupt: \(message)"
        case .tooManyPixels(let width, let height, let limit):
            "the image is \(width)×\(height) = \(width.multipliedReportingOverflow(by: height).partialValue) pixels, above the limit of \(limit)"
        case .invalidDimensions(let width, let height): "the image dimensions \(width)×\(height) are not valid"
        case .encodeFailed(let format, let message): "\(format.name) encoding failed: \(message)"
        case .invalidParameter(let operation, let message): "\(operation): \(message)"
        case .overBudget(let operation, let width, let height, let budget):
            "\(operation): the result would be \(width)×\(height) pixels, above the budget of \(budget) pixels"
        case .cancelled: "the processing was cancelled"
        }
    }
}
