import Testing
import WireTesting

@testable import Gateway

@Suite struct ByteRangeTests {
    @Test func theReviewedCrashIsARangeToTheEnd() {
        // C1: `end + 1` trapped at Int.max and ended the gateway.
        #expect(ByteRange.parse("bytes=0-9223372036854775807", size: 100) == .part(0..<100))
        #expect(ByteRange.parse("bytes=0-99999999999999999999999", size: 100) == .part(0..<100))
        #expect(ByteRange.parse("bytes=-9223372036854775807", size: 100) == .part(0..<100))
        #expect(ByteRange.parse("bytes=9223372036854775807-", size: 100) == .unsatisfiable)
    }

    @Test func ordinaryRanges() {
        #expect(ByteRange.parse(nil, size: 10) == .whole)
        #expect(ByteRange.parse("bytes=2-4", size: 10) == .part(2..<5))
        #expect(ByteRange.parse("bytes=2-", size: 10) == .part(2..<10))
        #expect(ByteRange.parse("bytes=-3", size: 10) == .part(7..<10))
        #expect(ByteRange.parse("bytes= 2 - 4 ", size: 10) == .part(2..<5))
        #expect(ByteRange.parse("bytes=0-1,3-4", size: 10) == .whole)
        #expect(ByteRange.parse("items=0-1", size: 10) == .whole)
        #expect(ByteRange.parse("bytes=5-2", size: 10) == .unsatisfiable)
        #expect(ByteRange.parse("bytes=10-", size: 10) == .unsatisfiable)
        #expect(ByteRange.parse("bytes=-0", size: 10) == .unsatisfiable)
        #expect(ByteRange.parse("bytes=+1-2", size: 10) == .unsatisfiable)
        #expect(ByteRange.parse("bytes=-1", size: 0) == .unsatisfiable)
    }

    /// Every pair of hostile numbers and texts, at every content size: a range, when there is one, lies
    /// inside the content and is not empty.
    @Test func anyHeaderGivesARangeInsideTheContent() {
        var generator = SeededGenerator(seed: 0xC1)
        let texts =
            HostileValues.numberTexts + HostileValues.integers.map(String.init)
            + (0..<200).map { _ in String(HostileValues.integer(&generator)) }
        for size in [0, 1, 2, 100, Int.max - 1, Int.max] {
            for first in texts.shuffled(using: &generator).prefix(60) {
                for last in texts.shuffled(using: &generator).prefix(60) {
                    for header in ["bytes=\(first)-\(last)", "bytes=-\(last)", "bytes=\(first)-", "\(first)=\(last)"] {
                        if case .part(let range) = ByteRange.parse(header, size: size) {
                            #expect(range.lowerBound >= 0 && range.upperBound <= size && !range.isEmpty, "\(header)")
                        }
                    }
                }
            }
        }
    }
}
