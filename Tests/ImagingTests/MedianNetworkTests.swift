import ImagingKernels
import TestImages
import Testing

/// Bit-sliced 0s and 1s: lane i of a window element is bit i. By the 0-1 principle a comparator network
/// that selects the median of every input of 0s and 1s selects it for every input.
extension UInt64: MedianLanes {
    public static func minimum(_ a: UInt64, _ b: UInt64) -> UInt64 { a & b }
    public static func maximum(_ a: UInt64, _ b: UInt64) -> UInt64 { a | b }
}

/// Off the cooperative pool: the 5×5 check is seconds of CPU, and would starve other suites' tasks.
@Suite(.offCooperativePool) struct MedianNetworkTests {
    /// Every one of the 2^(n·n) windows of 0s and 1s, 64 at a time: sort the columns as the filter does,
    /// then the network's answer must be 1 exactly where at least half the window is 1.
    @Test(arguments: [3, 5])
    func networkSelectsTheMedianOfEveryZeroOneWindow(side: Int) {
        let count = side * side
        // Within a word, lane i's input is i (six bits); the word's number supplies the upper bits.
        let lowPatterns: [UInt64] = (0..<6).map { bit in
            (0..<64).reduce(0) { word, lane in lane >> bit & 1 == 1 ? word | 1 << UInt64(lane) : word }
        }
        // For each count of ones in the upper bits: the lanes whose whole input has a majority of ones.
        let majorities: [UInt64] = (0...count).map { upper in
            (0..<64).reduce(0) { word, lane in
                lane.nonzeroBitCount + upper >= (count + 1) / 2 ? word | 1 << UInt64(lane) : word
            }
        }
        var failures = 0
        var window = [UInt64](repeating: 0, count: count)
        for word in 0..<(1 << (count - 6)) {
            for k in 0..<count { window[k] = k < 6 ? lowPatterns[k] : (word >> (k - 6) & 1 == 1 ? ~0 : 0) }
            for column in 0..<side {
                if side == 3 {
                    let sorted = MedianNetwork.sortColumn3((window[column], window[3 + column], window[6 + column]))
                    (window[column], window[3 + column], window[6 + column]) = sorted
                } else {
                    let sorted = MedianNetwork.sortColumn5(
                        (
                            window[column], window[5 + column], window[10 + column], window[15 + column],
                            window[20 + column]
                        ))
                    (
                        window[column], window[5 + column], window[10 + column], window[15 + column],
                        window[20 + column]
                    ) =
                        sorted
                }
            }
            let median =
                side == 3
                ? MedianNetwork.median3x3 { row, column in window[row * 3 + column] }
                : MedianNetwork.median5x5 { row, column in window[row * 5 + column] }
            if median != majorities[word.nonzeroBitCount] { failures += 1 }
        }
        #expect(failures == 0)
    }
}
