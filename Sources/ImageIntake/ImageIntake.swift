import Contracts
import Imaging
import Wire

/// How StoreSvc and ProcessSvc take images in: the whole file decoded once before it is accepted, and
/// every Imaging failure mapped to a Wire code in this one place.
public enum ImageIntake {
    /// The header of `bytes` once the whole stream has decoded without error (a JPEG at 1/8 scale, which
    /// still reads every coefficient, so truncation and corruption are caught cheaply).
    public static func inspect(_ bytes: [UInt8], pixelLimit: Int) throws(WireError) -> ImageHeader {
        do {
            let header = try ImageCodec.header(of: bytes)
            _ = try ImageCodec.decode(bytes, options: DecodeOptions(pixelLimit: pixelLimit, minimumSize: (1, 1)))
            return header
        } catch {
            throw WireError(error)
        }
    }
}

extension WireError {
    /// The code for an Imaging failure: empty input is a bad argument, an unknown type is unsupported,
    /// a bad operation parameter is a bad argument, anything else is an image that cannot be used.
    public init(_ error: ImagingError) {
        switch error {
        case .empty: self.init(.invalidArgument, "The image is empty (0 bytes)")
        case .unsupportedFormat: self.init(.unsupportedMediaType, "Only JPEG and PNG images are accepted")
        case .invalidParameter, .overBudget: self.init(.invalidArgument, error.description)
        case .cancelled: self.init(.cancelled, "The processing was cancelled")
        case .encodeFailed: self.init(.internal, error.description)
        default: self.init(.invalidImage, "The image cannot be used: \(error.description)")
        }
    }
}
