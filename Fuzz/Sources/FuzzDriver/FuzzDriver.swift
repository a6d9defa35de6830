import CFuzzer
import Foundation

/// The check the running fuzzer applies; set once in `run` before libFuzzer calls back.
nonisolated(unsafe) private var currentCheck: (([UInt8]) -> Void)?

/// Hands control to libFuzzer's driver, which calls `check` with each input it makes.
public enum FuzzDriver {
    public static func run(_ check: @escaping ([UInt8]) -> Void) -> Never {
        currentCheck = check
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(
            LLVMFuzzerRunDriver(&argc, &argv) { start, count in
                guard let start, count > 0 else { return 0 }
                currentCheck?(Array(UnsafeBufferPointer(start: start, count: count)))
                return 0
            })
    }
}
