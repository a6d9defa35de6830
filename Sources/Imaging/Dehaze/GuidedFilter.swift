/// He, Sun and Tang's guided filter (ECCV 2010) with a gray guide: edge-preserving smoothing of `input`
/// along the edges of `guide`. With `subsampling` s > 1 it is the fast guided filter (He and Sun 2015):
/// the coefficients are computed at 1/s resolution with radius r/s and upsampled bilinearly.
struct GuidedFilter {
    let radius: Int
    let eps: Double
    let subsampling: Int

    /// `input` is consumed: the exact filter writes its result into the input's storage.
    func filter(guide: [Float], input: consuming [Float], width: Int, height: Int, parallelism: Parallelism)
        -> [Float]
    {
        let s = subsampling
        guard s > 1, width / s >= 2, height / s >= 2 else {
            let (a, b) = coefficients(
                guide: guide, input: input, width: width, height: height, radius: radius, parallelism: parallelism)
            // q = mean(a) · I + mean(b), each row as soon as its means are known, into the input's storage
            // (read only by the coefficients): no planes of means, no separate pass, a third less fresh memory.
            var q = input
            q.withUnsafeMutableBufferPointer { q in
                guide.withUnsafeBufferPointer { guide in
                    let (q, guide) = (q.baseAddress!, guide.baseAddress!)
                    Self.means(of: a, b, width: width, height: height, radius: radius, parallelism: parallelism) {
                        y, meanA, meanB in
                        let (out, i) = (q + y * width, guide + y * width)
                        for x in 0..<width { out[x] = Float(meanA[x]) * i[x] + Float(meanB[x]) }
                    }
                }
            }
            return q
        }
        let smallWidth = width / s
        let smallHeight = height / s
        let smallGuide = Self.shrink(guide, width: width, height: height, factor: s, parallelism: parallelism)
        let smallInput = Self.shrink(input, width: width, height: height, factor: s, parallelism: parallelism)
        let smallRadius = max(1, radius / s)
        let (a, b) = coefficients(
            guide: smallGuide, input: smallInput, width: smallWidth, height: smallHeight, radius: smallRadius,
            parallelism: parallelism)
        var meanA = [Float](repeating: 0, count: smallWidth * smallHeight)
        var meanB = [Float](repeating: 0, count: smallWidth * smallHeight)
        meanA.withUnsafeMutableBufferPointer { meanAPlane in
            meanB.withUnsafeMutableBufferPointer { meanBPlane in
                let (meanAPlane, meanBPlane) = (meanAPlane.baseAddress!, meanBPlane.baseAddress!)
                Self.means(
                    of: a, b, width: smallWidth, height: smallHeight, radius: smallRadius, parallelism: parallelism
                ) { y, meanA, meanB in
                    for x in 0..<smallWidth {
                        meanAPlane[y * smallWidth + x] = Float(meanA[x])
                        meanBPlane[y * smallWidth + x] = Float(meanB[x])
                    }
                }
            }
        }
        return combineUpsampled(
            guide: guide, a: meanA, b: meanB, width: width, height: height, smallWidth: smallWidth,
            smallHeight: smallHeight, parallelism: parallelism)
    }

    /// a = cov(I, p) / (var(I) + ε) and b = mean(p) − a · mean(I) per pixel.
    private func coefficients(
        guide: [Float], input: [Float], width: Int, height: Int, radius: Int, parallelism: Parallelism
    ) -> (a: [Float], b: [Float]) {
        // Left unset: the box mean emits every row, and each row writes all of its pixels.
        var a = [Float](hugePagesCount: width * height) { _ in }
        var b = [Float](hugePagesCount: width * height) { _ in }
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
        return (a, b)
    }

    /// The box means of a and b, handed to `emit(y, meanA, meanB)` row by row (rows of a band in order,
    /// bands in parallel): the caller stores or uses them.
    private static func means(
        of a: [Float], _ b: [Float], width: Int, height: Int, radius: Int, parallelism: Parallelism,
        emit: (_ y: Int, _ meanA: UnsafePointer<Double>, _ meanB: UnsafePointer<Double>) -> Void
    ) {
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                let (a, b) = (a.baseAddress!, b.baseAddress!)
                BoxMean(width: width, height: height, radius: radius, planes: 2).run(parallelism: parallelism) {
                    y, plane, row in
                    let source = (plane == 0 ? a : b) + y * width
                    for x in 0..<width { row[x] = Double(source[x]) }
                } emit: { y, means in
                    emit(y, means, means + width)
                }
            }
        }
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
