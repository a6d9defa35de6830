import CFuzzer
import Foundation

/// libFuzzer's driver over `TokenFuzzing.check` (see that file for what is checked).
@main
enum JWTFuzz {
    static func main() {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOne))
    }
}

func fuzzOne(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start, count > 0 else { return 0 }
    TokenFuzzing.check(Array(UnsafeBufferPointer(start: start, count: count)))
    return 0
}
