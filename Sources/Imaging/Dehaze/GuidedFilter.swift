/// He, Sun and Tang's guided filter (ECCV 2010) with a gray guide: edge-preserving smoothing of `input`
/// along the edges of `guide`. With `subsampling` s > 1 it is the fast guided filter (He and Sun 2015):
/// the coefficients are computed at 1/s resolution with radius r/s and upsampled bilinearly.
struct GuidedFilter {
    let radius: Int
    let eps: Double
    let subsampling: Int

    func filter(guide: [Float], input: [Float], width: Int, height: Int, parallelism: Parallelism) -> [Float] {
        let s = subsampling
        guard s > 1, width / s >= 2, height / s >= 2 else {
            let (a, b) = coefficients(
                guide: guide, input: input, width: width, height: height, radius: radius, parallelism: parallelism)
            return combine(guide: guide, a: a, b: b, width: width, height: height, parallelism: parallelism)
        }
        let smallWidth = width / s
        let smallHeight = height / s
        let smallGuide = Self.shrink(guide, width: width, height: height, factor: s, parallelism: parallelism)
        let smallInput = Self.shrink(input, width: width, height: height, factor: s, parallelism: parallelism)
        let (a, b) = coefficients(
            guide: smallGuide, input: smallInput, width: smallWidth, height: smallHeight, radius: max(1, radius / s),
            parallelism: parallelism)
        return combineUpsampled(
            guide: guide, a: a, b: b, width: width, height: height, smallWidth: smallWidth, smallHeight: smallHeight,
            parallelism: parallelism)
    }

    /// The box means of a and b, where a = cov(I, p) / (var(I) + ε) and b = mean(p) − a · mean(I).
    private func coefficients(
        guide: [Float], input: [Float], width: Int, height: Int, radius: Int, parallelism: Parallelism
    ) -> (a: [Float], b: [Float]) {
        var a = [Float](hugePagesRepeating: 0, count: width * height)
        var b = [Float](hugePagesRepeating: 0, count: width * height)
        let eps = self.eps
        guide.withUnsafeBufferPointer { guide in
            input.withUnsafeBufferPointer { input in
                a.withUnsafeMutableBufferPointer { a in
                    b.withUnsafeMutableBufferPointer { b in
                        let (guide, input, a, b) = (
                            guide.baseAddress!, input.baseAddress!, a.baseAddress!, b.baseAddress!
                        )
                        // Means of I, p, I², I·p → a and b per pixel.
                        BoxMean(width: width, height: height, radius: radius, planes: 4).run(parallelism: parallelism) {
                            y, plane, row in
                            let i = guide + y * width
                            let p = input + y * width
                            switch plane {
                            case 0: for x in 0..<width { row[x] = Double(i[x]) }
                            case 1: for x in 0..<width { row[x] = Double(p[x]) }
                            case 2: for x in 0..<width { row[x] = Double(i[x]) * Double(i[x]) }
                            default: for x in 0..<width { row[x] = Double(i[x]) * Double(p[x]) }
                            }
                        } emit: { y, means in
                            let (meanI, meanP, meanII, meanIP) = (
                                means, means + width, means + 2 * width, means + 3 * width
                            )
                            for x in 0..<width {
                                let variance = meanII[x] - meanI[x] * meanI[x]
                                let covariance = meanIP[x] - meanI[x] * meanP[x]
                                let slope = covariance / (variance + eps)
                                a[y * width + x] = Float(slope)
                                b[y * width + x] = Float(meanP[x] - slope * meanI[x])
                            }
                        }
                    }
                }
            }
        }
        // Means of a and b, written back in place: each row is emitted after every row it reads was filled,
        // so the results go to separate planes first.
        var meanA = [Float](hugePagesRepeating: 0, count: width * height)
        var meanB = [Float](hugePagesRepeating: 0, count: width * height)
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                meanA.withUnsafeMutableBufferPointer { meanA in
                    meanB.withUnsafeMutableBufferPointer { meanB in
                        let (a, b, meanA, meanB) = (
                            a.baseAddress!, b.baseAddress!, meanA.baseAddress!, meanB.baseAddress!
                        )
                        BoxMean(width: width, height: height, radius: radius, planes: 2).run(parallelism: parallelism) {
                            y, plane, row in
                            let source = (plane == 0 ? a : b) + y * width
                            for x in 0..<width { row[x] = Double(source[x]) }
                        } emit: { y, means in
                            for x in 0..<width {
                                meanA[y * width + x] = Float(means[x])
                                meanB[y * width + x] = Float(means[width + x])
                            }
                        }
                    }
                }
            }
        }
        return (meanA, meanB)
    }

    /// q = mean(a) · I + mean(b).
    private func combine(guide: [Float], a: [Float], b: [Float], width: Int, height: Int, parallelism: Parallelism)
        -> [Float]
    {
        var q = [Float](hugePagesRepeating: 0, count: width * height)
        q.withUnsafeMutableBufferPointer { q in
            let q = q.baseAddress!
            guide.withUnsafeBufferPointer { guide in
                a.withUnsafeBufferPointer { a in
                    b.withUnsafeBufferPointer { b in
                        parallelism.forEachRange(width * height, grain: 65_536) { range in
                            for index in range { q[index] = a[index] * guide[index] + b[index] }
                        }
                    }
                }
            }
        }
        return q
    }

    /// q = up(mean(a)) · I + up(mean(b)), with bilinear upsampling from the small grid.
    private func combineUpsampled(
        guide: [Float], a: [Float], b: [Float], width: Int, height: Int, smallWidth: Int, smallHeight: Int,
        parallelism: Parallelism
    ) -> [Float] {
        var q = [Float](hugePagesRepeating: 0, count: width * height)
        let scaleX = Float(smallWidth) / Float(width)
        let scaleY = Float(smallHeight) / Float(height)
        let columns = (0..<width).map { x -> (Int, Int, Float) in
            let position = min(max((Float(x) + 0.5) * scaleX - 0.5, 0), Float(smallWidth - 1))
            let left = Int(position)
            return (left, min(left + 1, smallWidth - 1), position - Float(left))
        }
        q.withUnsafeMutableBufferPointer { q in
            let q = q.baseAddress!
            guide.withUnsafeBufferPointer { guide in
                a.withUnsafeBufferPointer { a in
                    b.withUnsafeBufferPointer { b in
                        parallelism.forEachRange(height, grain: 16) { rows in
                            for y in rows {
                                let position = min(max((Float(y) + 0.5) * scaleY - 0.5, 0), Float(smallHeight - 1))
                                let top = Int(position)
                                let bottom = min(top + 1, smallHeight - 1)
                                let fy = position - Float(top)
                                for x in 0..<width {
                                    let (left, right, fx) = columns[x]
                                    func sample(_ plane: UnsafeBufferPointer<Float>) -> Float {
                                        let upper =
                                            plane[top * smallWidth + left] * (1 - fx) + plane[top * smallWidth + right]
                                            * fx
                                        let lower =
                                            plane[bottom * smallWidth + left] * (1 - fx) + plane[
                                                bottom * smallWidth + right] * fx
                                        return upper * (1 - fy) + lower * fy
                                    }
                                    q[y * width + x] = sample(a) * guide[y * width + x] + sample(b)
                                }
                            }
                        }
                    }
                }
            }
        }
        return q
    }

    /// Mean of each factor × factor block (the remainder rows and columns are dropped).
    static func shrink(_ plane: [Float], width: Int, height: Int, factor: Int, parallelism: Parallelism) -> [Float] {
        let smallWidth = width / factor
        let smallHeight = height / factor
        var small = [Float](hugePagesRepeating: 0, count: smallWidth * smallHeight)
        let scale = 1 / Float(factor * factor)
        small.withUnsafeMutableBufferPointer { small in
            let small = small.baseAddress!
            plane.withUnsafeBufferPointer { plane in
                parallelism.forEachRange(smallHeight, grain: 8) { rows in
                    for y in rows {
                        let out = small + y * smallWidth
                        for x in 0..<smallWidth { out[x] = 0 }
                        for dy in 0..<factor {
                            let line = plane.baseAddress! + (y * factor + dy) * width
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
        }
        return small
    }
}
