#if canImport(Glibc)
    import Glibc
#endif

/// Image-sized buffers on transparent huge pages. A 12 MP RGB buffer is 36 MiB: on 4 KiB pages, first
/// writing it takes ~9,000 page faults, which cost as much as a simple operation's whole pass on this
/// class of machine. Linux's default THP mode ("madvise") only backs a region with 2 MiB pages when asked,
/// which numpy (and so OpenCV from Python) does for every array of 4 MiB or more; so do we.
enum HugePages {
    /// numpy's threshold: below it the faults saved do not pay for the system call.
    static let threshold = 4 << 20

    /// Asks for huge pages for `byteCount` bytes at `start`, before they are first written. Harmless where
    /// THP is off or the memory is already touched; does nothing on other systems.
    static func advise(_ start: UnsafeMutableRawPointer, byteCount: Int) {
        #if os(Linux)
            guard byteCount >= threshold else { return }
            let page = 4096
            let offset = (page - Int(UInt(bitPattern: start) % UInt(page))) % page
            _ = madvise(start + offset, byteCount - offset, MADV_HUGEPAGE)
        #endif
    }
}

extension Array where Element: BitwiseCopyable {
    /// `count` elements that `initialize` writes, every one of them, on huge pages when large; nothing is
    /// zeroed first.
    init(
        hugePagesCount count: Int, initializingWith initialize: (UnsafeMutablePointer<Element>) throws -> Void
    ) rethrows {
        self = try Self(unsafeUninitializedCapacity: count) { buffer, initialized in
            if count > 0 {
                HugePages.advise(
                    UnsafeMutableRawPointer(buffer.baseAddress!), byteCount: count * MemoryLayout<Element>.stride)
                try initialize(buffer.baseAddress!)
            }
            initialized = count
        }
    }

    /// `count` copies of `value`, on huge pages when large.
    init(hugePagesRepeating value: Element, count: Int) {
        self.init(hugePagesCount: count) { $0.initialize(repeating: value, count: count) }
    }
}
