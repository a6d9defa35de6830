import Imaging

/// What the JPEG and PNG fuzzers check on every input, and what `make test` checks on their corpora
/// (this file is linked into both): bytes decode within the pixel limit to the size their header
/// announces, or are refused with an ImagingError. Anything else — a trap, a hang, a buffer of the
/// wrong size — is a finding.
enum DecoderFuzzing {
    static let options = DecodeOptions(pixelLimit: 1 << 22)

    static func check(_ bytes: [UInt8], expecting format: ImageFormat) {
        guard let header = try? ImageCodec.header(of: bytes) else {
            // No header: decoding must refuse too.
            if let image = try? ImageCodec.decode(bytes, options: options) {
                preconditionFailure("decoded \(image.width)×\(image.height) without a readable header")
            }
            return
        }
        guard let image = try? ImageCodec.decode(bytes, options: options) else { return }
        precondition(header.format == format || ImageFormat.sniff(bytes) != format, "sniffed another format")
        precondition(image.width == header.width && image.height == header.height, "size differs from the header")
        precondition(image.width > 0 && image.height > 0, "empty image")
        precondition(image.width * image.height <= options.pixelLimit, "over the pixel limit")
    }
}
