import CFuzzer
import Foundation
import NIOCore
import Wire

/// libFuzzer's driver over `WireFuzzing.check` (see that file for what is checked).
@main
enum WireFuzz {
    static func main() {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOne))
    }
}

func fuzzOne(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start, count > 0 else { return 0 }
    WireFuzzing.check(Array(UnsafeBufferPointer(start: start, count: count)))
    return 0
}
