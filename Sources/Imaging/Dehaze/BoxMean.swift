/// Means over (2·radius + 1)² windows clipped at the borders and divided by the pixels inside (He's
/// boxfilter / N), for several planes at once, in O(1) per pixel whatever the radius: running column
/// sums over the rows in the window, then a prefix sum along each row. Sums are in Double because the
/// guided filter subtracts means of squares (var = E[I²] − E[I]²).
///
/// The sizes only: `BoxMeanRows` runs one band of rows (the guided filter runs two of them together).
struct BoxMean {
    let width: Int
    let height: Int
    let radius: Int
    /// How many planes are filtered together.
    let planes: Int
}

/// One band of a `BoxMean`, a row at a time: the running column sums over the window's rows, and the
/// means of the next row on request. Lets a caller interleave two filters (the guided filter's second box
/// mean pulls rows from the first as it needs them).
final class BoxMeanRows {
    /// Adds `sign` (1 or −1) × the `width` raw values of row `y` of `plane` to `sums`: the row goes into the
    /// running column sums where it is made, not through a buffer. (× −1 is exact, so adding the product is
    /// subtracting.)
    typealias Fill = (_ y: Int, _ plane: Int, _ sign: Double, _ sums: UnsafeMutablePointer<Double>) -> Void

    private let box: BoxMean
    private let rows: Range<Int>
    private var next: Int
    private let sums: UnsafeMutablePointer<Double>
    private let prefix: UnsafeMutablePointer<Double>
    private let means: UnsafeMutablePointer<Double>
    /// 1 / columns inside each window (the middle ones all hold 2·radius + 1).
    private let inverseColumns: UnsafeMutablePointer<Double>

    /// Sums the window of the band's first row: fills rows `rows.lowerBound ± radius`.
    init(_ box: BoxMean, rows: Range<Int>, fill: Fill) {
        let (width, planes, radius) = (box.width, box.planes, box.radius)
        self.box = box
        self.rows = rows
        next = rows.lowerBound
        sums = .allocate(capacity: planes * width)
        prefix = .allocate(capacity: planes * (width + 1))
        means = .allocate(capacity: planes * width)
        inverseColumns = .allocate(capacity: width)
        for x in 0..<width {
            inverseColumns[x] = 1 / Double(min(width - 1, x + radius) - max(0, x - radius) + 1)
        }
        sums.update(repeating: 0, count: planes * width)
        guard !rows.isEmpty else { return }
        for y in max(0, rows.lowerBound - radius)...min(box.height - 1, rows.lowerBound + radius) {
            accumulate(y, sign: 1, fill: fill)
        }
    }

    deinit {
        sums.deallocate()
        prefix.deallocate()
        means.deallocate()
        inverseColumns.deallocate()
    }

    /// The means of the next row of the band, plane after plane (`planes × width` values, valid until the
    /// next call). The window moves down first: row `y − radius − 1` leaves it, row `y + radius` joins.
    func advance(fill: Fill) -> UnsafeMutablePointer<Double> {
        let (width, height, radius, planes) = (box.width, box.height, box.radius, box.planes)
        let y = next
        precondition(rows.contains(y), "advanced past the band")
        if y > rows.lowerBound {
            if y - radius - 1 >= 0 { accumulate(y - radius - 1, sign: -1, fill: fill) }
            if y + radius < height { accumulate(y + radius, sign: 1, fill: fill) }
        }
        next += 1
        // Columns whose window lies inside the row: [inner.lowerBound, inner.upperBound).
        let inner = min(radius, width)..<max(min(radius, width), width - radius)
        let rowScale = 1 / Double(min(height - 1, y + radius) - max(0, y - radius) + 1)
        BoxMean.prefixSums(sums, planes: planes, width: width, into: prefix)
        for plane in 0..<planes {
            let running = prefix + plane * (width + 1)
            let out = means + plane * width
            // The edges: windows clipped at the row's ends.
            func clipped(_ columns: Range<Int>) {
                for x in columns {
                    let total = running[min(width, x + radius + 1)] - running[max(0, x - radius)]
                    out[x] = total * rowScale * inverseColumns[x]
                }
            }
            clipped(0..<inner.lowerBound)
            clipped(inner.upperBound..<width)
            // The middle: contiguous reads and one constant factor, which vectorises.
            let factor = rowScale / Double(2 * radius + 1)
            let ahead = running + radius + 1
            let behind = running - radius
            for x in inner { out[x] = (ahead[x] - behind[x]) * factor }
        }
        return means
    }

    private func accumulate(_ y: Int, sign: Double, fill: Fill) {
        for plane in 0..<box.planes { fill(y, plane, sign, sums + plane * box.width) }
    }
}

extension BoxMean {
    /// Running sums along each plane's row (`width + 1` values per plane, starting at 0). Each running sum is
    /// a chain of dependent additions; doing planes four (or two) at a time keeps that many chains in flight.
    static func prefixSums(
        _ sums: UnsafePointer<Double>, planes: Int, width: Int, into prefix: UnsafeMutablePointer<Double>
    ) {
        var plane = 0
        while plane + 4 <= planes {
            let (a, b, c, d) = (
                sums + plane * width, sums + (plane + 1) * width, sums + (plane + 2) * width,
                sums + (plane + 3) * width
            )
            let outA = prefix + plane * (width + 1)
            let (outB, outC, outD) = (outA + (width + 1), outA + 2 * (width + 1), outA + 3 * (width + 1))
            var (runA, runB, runC, runD) = (0.0, 0.0, 0.0, 0.0)
            (outA[0], outB[0], outC[0], outD[0]) = (0, 0, 0, 0)
            for x in 0..<width {
                runA += a[x]
                runB += b[x]
                runC += c[x]
                runD += d[x]
                (outA[x + 1], outB[x + 1], outC[x + 1], outD[x + 1]) = (runA, runB, runC, runD)
            }
            plane += 4
        }
        while plane + 2 <= planes {
            let (a, b) = (sums + plane * width, sums + (plane + 1) * width)
            let (outA, outB) = (prefix + plane * (width + 1), prefix + (plane + 1) * (width + 1))
            var (runA, runB) = (0.0, 0.0)
            outA[0] = 0
            outB[0] = 0
            for x in 0..<width {
                runA += a[x]
                runB += b[x]
                outA[x + 1] = runA
                outB[x + 1] = runB
            }
            plane += 2
        }
        if plane < planes {
            let a = sums + plane * width
            let out = prefix + plane * (width + 1)
            var run = 0.0
            out[0] = 0
            for x in 0..<width {
                run += a[x]
                out[x + 1] = run
            }
        }
    }
}
