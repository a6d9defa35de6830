import Foundation

/// What the processor offers beyond x86-64's baseline (SSE2), for kernels that have a faster form.
/// Swift has no per-function target attribute, so those kernels live in `ImagingAVX2`, a module compiled
/// for Haswell, and are called only when this says so.
enum CPUFeatures {
    /// AVX2, as the kernel reports it in /proc/cpuinfo (it lists a feature only when it also saves that
    /// feature's registers). `CLEARSKY_IMAGING_BASELINE=1` turns it off, to measure or test the SSE2 path.
    static let hasAVX2: Bool = {
        #if arch(x86_64) && os(Linux)
            guard ProcessInfo.processInfo.environment["CLEARSKY_IMAGING_BASELINE"] != "1",
                let file = FileHandle(forReadingAtPath: "/proc/cpuinfo"),
                let data = try? file.readToEnd()
            else { return false }
            try? file.close()
            let text = String(decoding: data, as: UTF8.self)
            guard let flags = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return false }
            return flags.split(whereSeparator: { $0 == " " || $0 == "\t" }).contains("avx2")
        #else
            return false
        #endif
    }()
}
