/// Means over (2·radius + 1)² windows clipped at the borders and divided by the pixels inside (He's
/// boxfilter / N), for several planes at once, in O(1) per pixel whatever the radius: running column
/// sums over the rows in the window, then a prefix sum along each row. Sums are in Double because the
/// guided filter subtracts means of squares (var = E[I²] − E[I]²).
struct BoxMean {
    let width: Int
    let height: Int
    let radius: Int
    /// How many planes are filtered together.
    let planes: Int

    /// `fill(y, plane, row)` writes `width` raw values of row `y` of a plane; `emit(y, means)` receives
    /// row `y`'s means, plane after plane (`planes × width` values). Rows are emitted in order within a
    /// band; bands run in parallel, so both closures must only touch row `y`'s data.
    func run(
        parallelism: Parallelism,
        fill: (_ y: Int, _ plane: Int, _ row: UnsafeMutablePointer<Double>) -> Void,
        emit: (_ y: Int, _ means: UnsafeMutablePointer<Double>) -> Void
    ) {
        let (width, height, radius, planes) = (self.width, self.height, self.radius, self.planes)
        // 1 / columns inside each window (the middle ones all hold 2·radius + 1).
        let inverseColumns = (0..<width).map { 1 / Double(min(width - 1, $0 + radius) - max(0, $0 - radius) + 1) }
        inverseColumns.withUnsafeBufferPointer { inverseColumns in
            let inverseColumns = inverseColumns.baseAddress!
            parallelism.forEachRange(height, grain: max(32, 2 * radius)) { band in
                let sums = UnsafeMutablePointer<Double>.allocate(capacity: planes * width)
                let row = UnsafeMutablePointer<Double>.allocate(capacity: width)
                let prefix = UnsafeMutablePointer<Double>.allocate(capacity: planes * (width + 1))
                let means = UnsafeMutablePointer<Double>.allocate(capacity: planes * width)
                defer {
                    sums.deallocate()
                    row.deallocate()
                    prefix.deallocate()
                    means.deallocate()
                }
                sums.update(repeating: 0, count: planes * width)
                func accumulate(_ y: Int, sign: Double) {
                    for plane in 0..<planes {
                        fill(y, plane, row)
                        let sum = sums + plane * width
                        if sign > 0 {
                            for x in 0..<width { sum[x] += row[x] }
                        } else {
                            for x in 0..<width { sum[x] -= row[x] }
                        }
                    }
                }
                for y in max(0, band.lowerBound - radius)...min(height - 1, band.lowerBound + radius) {
                    accumulate(y, sign: 1)
                }
                // Columns whose window lies inside the row: [inner.lowerBound, inner.upperBound).
                let inner = min(radius, width)..<max(min(radius, width), width - radius)
                for y in band {
                    let rowScale = 1 / Double(min(height - 1, y + radius) - max(0, y - radius) + 1)
                    Self.prefixSums(sums, planes: planes, width: width, into: prefix)
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
                    emit(y, means)
                    if y + 1 < band.upperBound {
                        if y - radius >= 0 { accumulate(y - radius, sign: -1) }
                        if y + radius + 1 < height { accumulate(y + radius + 1, sign: 1) }
                    }
                }
            }
        }
    }

    /// Running sums along each plane's row (`width + 1` values per plane, starting at 0). Each running sum is
    /// a chain of dependent additions; doing planes two at a time keeps two chains in flight.
    private static func prefixSums(
        _ sums: UnsafePointer<Double>, planes: Int, width: Int, into prefix: UnsafeMutablePointer<Double>
    ) {
        var plane = 0
        while plane + 1 < planes {
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
