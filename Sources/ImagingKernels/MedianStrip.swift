/// One strip of a median-filtered row (3×3 or 5×5), generic over the vector type so that each caller's
/// module specialises it for the vectors its target has. Inlinable for that reason.
public enum MedianStrip {
    /// Filters bytes `start ..< start + length` of one output row. `lines[dy]` are the window's padded source
    /// rows (the border pixel repeated `radius` times at each end, a vector's worth of slack after);
    /// `sorted` is scratch for `2·radius + 1` planes of `planePitch` bytes. First every column of the strip is
    /// sorted once (neighbouring windows share columns), then each window's median comes from its sorted
    /// columns.
    @inlinable
    public static func filter<L: ByteVector>(
        _ type: L.Type, lines: UnsafePointer<UnsafeRawPointer>, start: Int, length: Int, radius: Int,
        channels: Int, sorted: UnsafeMutableRawPointer, planePitch: Int, target: UnsafeMutablePointer<UInt8>
    ) {
        let lanes = L.count
        let apron = 2 * radius * channels
        for x in stride(from: 0, to: length + apron, by: lanes) {
            @inline(__always) func value(_ dy: Int) -> L { L(loadingFrom: lines[dy] + start + x) }
            @inline(__always) func store(_ k: Int, _ v: L) { v.store(to: sorted + k * planePitch + x) }
            if radius == 1 {
                let (v0, v1, v2) = MedianNetwork.sortColumn3((value(0), value(1), value(2)))
                store(0, v0)
                store(1, v1)
                store(2, v2)
            } else {
                let (v0, v1, v2, v3, v4) = MedianNetwork.sortColumn5(
                    (value(0), value(1), value(2), value(3), value(4)))
                store(0, v0)
                store(1, v1)
                store(2, v2)
                store(3, v3)
                store(4, v4)
            }
        }
        let columns = UnsafeRawPointer(sorted)
        var x = 0
        while x < length {
            @inline(__always) func value(_ row: Int, _ column: Int) -> L {
                L(loadingFrom: columns + row * planePitch + x + column * channels)
            }
            let median = radius == 1 ? MedianNetwork.median3x3(value) : MedianNetwork.median5x5(value)
            if x + lanes <= length {
                median.store(to: target + start + x)
            } else {
                median.store(to: target + start + x, count: length - x)
            }
            x += lanes
        }
    }
}
