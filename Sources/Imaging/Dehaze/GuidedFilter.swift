/// He, Sun and Tang's guided filter (ECCV 2010) with a gray guide: edge-preserving smoothing of `input`
/// along the edges of `guide`. With `subsampling` s > 1 it is the fast guided filter (He and Sun 2015):
/// the coefficients are computed at 1/s resolution with radius r/s and upsampled bilinearly.
struct GuidedFilter {
    let radius: Int
    let eps: Double
    let subsampling: Int

    /// A row of the filtered plane: `emit(y, q)` with `width` values, valid during the call. Rows come in
    /// order within a band; bands run in parallel, so `emit` must only touch row `y`'s data.
    typealias Emit = (_ y: Int, _ q: UnsafePointer<Float>) -> Void

    /// Filters `input` along the edges of `guide` and hands over the result row by row, so a caller that
    /// uses each row at once (dehaze's recovery) needs no plane for it.
    func filter(
        guide: [Float], input: [Float], width: Int, height: Int, parallelism: Parallelism, emit: Emit
    ) {
        guide.withUnsafeBufferPointer { guide in
            input.withUnsafeBufferPointer { input in
                filter(
                    guide: guide.baseAddress!, input: input.baseAddress!, width: width, height: height,
                    parallelism: parallelism, emit: emit)
            }
        }
    }

    private func filter(
        guide: UnsafePointer<Float>, input: UnsafePointer<Float>, width: Int, height: Int, parallelism: Parallelism,
        emit: Emit
    ) {
        let s = subsampling
        guard s > 1, width / s >= 2, height / s >= 2 else {
            // q = mean(a) · I + mean(b), each row as soon as its means are known, written over mean(a).
            smoothedCoefficients(
                guide: guide, input: input, width: width, height: height, radius: radius, parallelism: parallelism
            ) { y, meanA, meanB in
                let i = guide + y * width
                for x in 0..<width { meanA[x] = meanA[x] * i[x] + meanB[x] }
                emit(y, meanA)
            }
            return
        }
        let smallWidth = width / s
        let smallHeight = height / s
        let smallGuide = Self.shrink(guide, width: width, height: height, factor: s, parallelism: parallelism)
        let smallInput = Self.shrink(input, width: width, height: height, factor: s, parallelism: parallelism)
        var meanA = [Float](repeating: 0, count: smallWidth * smallHeight)
        var meanB = [Float](repeating: 0, count: smallWidth * smallHeight)
        smallGuide.withUnsafeBufferPointer { smallGuide in
            smallInput.withUnsafeBufferPointer { smallInput in
                meanA.withUnsafeMutableBufferPointer { meanAPlane in
                    meanB.withUnsafeMutableBufferPointer { meanBPlane in
                        let (meanAPlane, meanBPlane) = (meanAPlane.baseAddress!, meanBPlane.baseAddress!)
                        smoothedCoefficients(
                            guide: smallGuide.baseAddress!, input: smallInput.baseAddress!, width: smallWidth,
                            height: smallHeight, radius: max(1, radius / s), parallelism: parallelism
                        ) { y, meanA, meanB in
                            (meanAPlane + y * smallWidth).update(from: meanA, count: smallWidth)
                            (meanBPlane + y * smallWidth).update(from: meanB, count: smallWidth)
                        }
                    }
                }
            }
        }
        combineUpsampled(
            guide: guide, a: meanA, b: meanB, width: width, height: height, smallWidth: smallWidth,
            smallHeight: smallHeight, parallelism: parallelism, emit: emit)
    }

    /// The box means of a = cov(I, p) / (var(I) + ε) and b = mean(p) − a · mean(I), handed to
    /// `emit(y, meanA, meanB)` row by row (`width` floats each, the callee may overwrite them). Each band runs
    /// both box means at once: the second pulls rows of a and b from the first as its window needs them,
    /// through a ring of 2·radius + 2 rows, so a and b never exist as planes (each band computes the first
    /// filter for the radius rows beyond its ends again; bands are as few as the threads).
    private func smoothedCoefficients(
        guide: UnsafePointer<Float>, input: UnsafePointer<Float>, width: Int, height: Int, radius: Int,
        parallelism: Parallelism,
        emit: (_ y: Int, _ meanA: UnsafeMutablePointer<Float>, _ meanB: UnsafeMutablePointer<Float>) -> Void
    ) {
        let statistics = BoxMean(width: width, height: height, radius: radius, planes: 4)
        let smoothing = BoxMean(width: width, height: height, radius: radius, planes: 2)
        let ringRows = 2 * radius + 2
        let eps = self.eps
        // Means of I, p, I², I·p.
        let fillStatistics: BoxMeanRows.Fill = { y, plane, sign, sums in
            let i = guide + y * width
            let p = input + y * width
            switch plane {
            case 0: for x in 0..<width { sums[x] += sign * Double(i[x]) }
            case 1: for x in 0..<width { sums[x] += sign * Double(p[x]) }
            case 2: for x in 0..<width { sums[x] += sign * (Double(i[x]) * Double(i[x])) }
            default: for x in 0..<width { sums[x] += sign * (Double(i[x]) * Double(p[x])) }
            }
        }
        let bandRows = max(2 * radius, (height + parallelism.threads - 1) / parallelism.threads)
        parallelism.forEachRange(height, grain: bandRows) { band in
            // Rows of a and b, plane after plane, row y in slot y % ringRows.
            let ring = UnsafeMutablePointer<Float>.allocate(capacity: 2 * ringRows * width)
            let out = UnsafeMutablePointer<Float>.allocate(capacity: 2 * width)
            defer {
                ring.deallocate()
                out.deallocate()
            }
            let needed = max(0, band.lowerBound - radius)..<min(height, band.upperBound + radius)
            let first = BoxMeanRows(statistics, rows: needed, fill: fillStatistics)
            var produced = needed.lowerBound
            let fillCoefficients: BoxMeanRows.Fill = { y, plane, sign, sums in
                while produced <= y {
                    let means = first.advance(fill: fillStatistics)
                    let (meanI, meanP, meanII, meanIP) = (means, means + width, means + 2 * width, means + 3 * width)
                    let a = ring + (produced % ringRows) * width
                    let b = a + ringRows * width
                    for x in 0..<width {
                        let variance = meanII[x] - meanI[x] * meanI[x]
                        let covariance = meanIP[x] - meanI[x] * meanP[x]
                        let slope = covariance / (variance + eps)
                        a[x] = Float(slope)
                        b[x] = Float(meanP[x] - slope * meanI[x])
                    }
                    produced += 1
                }
                let source = ring + (plane * ringRows + y % ringRows) * width
                for x in 0..<width { sums[x] += sign * Double(source[x]) }
            }
            let second = BoxMeanRows(smoothing, rows: band, fill: fillCoefficients)
            for y in band {
                let means = second.advance(fill: fillCoefficients)
                for x in 0..<2 * width { out[x] = Float(means[x]) }
                emit(y, out, out + width)
            }
        }
    }

    /// q = up(mean(a)) · I + up(mean(b)), with bilinear upsampling from the small grid.
    private func combineUpsampled(
        guide: UnsafePointer<Float>, a: [Float], b: [Float], width: Int, height: Int, smallWidth: Int,
        smallHeight: Int, parallelism: Parallelism, emit: Emit
    ) {
        let scaleX = Float(smallWidth) / Float(width)
        let scaleY = Float(smallHeight) / Float(height)
        let columns = (0..<width).map { x -> (Int, Int, Float) in
            let position = min(max((Float(x) + 0.5) * scaleX - 0.5, 0), Float(smallWidth - 1))
            let left = Int(position)
            return (left, min(left + 1, smallWidth - 1), position - Float(left))
        }
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                parallelism.forEachRange(height, grain: 16) { rows in
                    let q = UnsafeMutablePointer<Float>.allocate(capacity: width)
                    defer { q.deallocate() }
                    for y in rows {
                        let position = min(max((Float(y) + 0.5) * scaleY - 0.5, 0), Float(smallHeight - 1))
                        let top = Int(position)
                        let bottom = min(top + 1, smallHeight - 1)
                        let fy = position - Float(top)
                        for x in 0..<width {
                            let (left, right, fx) = columns[x]
                            func sample(_ plane: UnsafeBufferPointer<Float>) -> Float {
                                let upper =
                                    plane[top * smallWidth + left] * (1 - fx) + plane[top * smallWidth + right] * fx
                                let lower =
                                    plane[bottom * smallWidth + left] * (1 - fx) + plane[bottom * smallWidth + right]
                                    * fx
                                return upper * (1 - fy) + lower * fy
                            }
                            q[x] = sample(a) * guide[y * width + x] + sample(b)
                        }
                        emit(y, q)
                    }
                }
            }
        }
    }

    /// Mean of each factor × factor block (the remainder rows and columns are dropped).
    static func shrink(
        _ plane: UnsafePointer<Float>, width: Int, height: Int, factor: Int, parallelism: Parallelism
    ) -> [Float] {
        let smallWidth = width / factor
        let smallHeight = height / factor
        var small = [Float](hugePagesCount: smallWidth * smallHeight) { _ in }
        let scale = 1 / Float(factor * factor)
        small.withUnsafeMutableBufferPointer { small in
            let small = small.baseAddress!
            parallelism.forEachRange(smallHeight, grain: 8) { rows in
                for y in rows {
                    let out = small + y * smallWidth
                    for x in 0..<smallWidth { out[x] = 0 }
                    for dy in 0..<factor {
                        let line = plane + (y * factor + dy) * width
                        for x in 0..<smallWidth {
                            var sum: Float = 0
                            for dx in 0..<factor { sum += line[x * factor + dx] }
                            out[x] += sum
                        }
                    }
                    for x in 0..<smallWidth { out[x] *= scale }
                }
            }
        }
        return small
    }
}
