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
        let columnCount = (0..<width).map { Double(min(width - 1, $0 + radius) - max(0, $0 - radius) + 1) }
        columnCount.withUnsafeBufferPointer { columnCount in
            parallelism.forEachRange(height, grain: max(32, 2 * radius)) { band in
                let sums = UnsafeMutablePointer<Double>.allocate(capacity: planes * width)
                let row = UnsafeMutablePointer<Double>.allocate(capacity: width)
                let prefix = UnsafeMutablePointer<Double>.allocate(capacity: width + 1)
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
                for y in band {
                    let rowsInside = Double(min(height - 1, y + radius) - max(0, y - radius) + 1)
                    for plane in 0..<planes {
                        let sum = sums + plane * width
                        prefix[0] = 0
                        for x in 0..<width { prefix[x + 1] = prefix[x] + sum[x] }
                        let out = means + plane * width
                        for x in 0..<width {
                            let total = prefix[min(width, x + radius + 1)] - prefix[max(0, x - radius)]
                            out[x] = total / (rowsInside * columnCount[x])
                        }
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
}
