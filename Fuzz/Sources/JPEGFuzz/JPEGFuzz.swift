import CFuzzer
import Foundation
import Imaging

/// The JPEG decoder (libjpeg-turbo behind ImageCodec): any bytes either decode within the pixel limit
/// or fail with an ImagingError; headers agree with what decodes.
@main
enum JPEGFuzz {
    static func main() {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOne))
    }
}

func fuzzOne(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start, count > 0 else { return 0 }
    DecoderFuzzing.check(Array(UnsafeBufferPointer(start: start, count: count)), expecting: .jpeg)
    return 0
}
