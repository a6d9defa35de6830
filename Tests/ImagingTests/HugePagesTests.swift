import Foundation
import Testing

@testable import Imaging

/// Image-sized buffers ask Linux for transparent huge pages before they are written (the page faults of a
/// 12 MP buffer on 4 KiB pages cost as much as a simple operation). (That small ones are not advised is
/// not checked: a small block may reuse heap memory that a large one advised earlier.)
@Suite struct HugePagesTests {
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/sys/kernel/mm/transparent_hugepage/enabled")))
    func largeBuffersAreAdvised() throws {
        let large = PixelBuffer(width: 2048, height: 1024, layout: .rgb) { pixels in
            pixels.initialize(repeating: 7, count: 2048 * 1024 * 3)
        }
        let small = PixelBuffer(width: 256, height: 256, layout: .rgb, fill: 7)
        let plane = [Float](hugePagesRepeating: 0.5, count: 1 << 21)
        #expect(try Self.isAdvised(large.pixels))
        #expect(try Self.isAdvised(plane))
        // The contents are what was written.
        #expect(large.pixels.allSatisfy { $0 == 7 } && small.pixels.allSatisfy { $0 == 7 })
        #expect(plane.allSatisfy { $0 == 0.5 })
    }

    /// Whether the mapping holding the middle of `array` carries the kernel's "hg" (MADV_HUGEPAGE) flag.
    private static func isAdvised<Element>(_ array: [Element]) throws -> Bool {
        let middle = array.withUnsafeBytes { UInt(bitPattern: $0.baseAddress!) + UInt($0.count / 2) }
        // Read to the end: procfs reports a size of 0, which whole-file readers may trust.
        let file = try #require(FileHandle(forReadingAtPath: "/proc/self/smaps"))
        defer { try? file.close() }
        let smaps = String(decoding: try #require(try file.readToEnd()), as: UTF8.self)
        var inside = false
        for line in smaps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if let range = fields.first, range.contains("-"), !range.hasSuffix(":") {
                let bounds = range.split(separator: "-").compactMap { UInt($0, radix: 16) }
                inside = bounds.count == 2 && bounds[0] <= middle && middle < bounds[1]
            } else if inside, fields.first == "VmFlags:" {
                return fields.contains("hg")
            }
        }
        Issue.record("no mapping holds the array")
        return false
    }
}
