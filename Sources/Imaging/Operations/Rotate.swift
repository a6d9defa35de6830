import Foundation

extension PixelBuffer {
    /// The image rotated `degrees` counter-clockwise about its centre. Multiples of 90° move pixels exactly
    /// (when `expand` is set or the image is square); other angles sample bilinearly with OpenCV's
    /// `warpAffine` arithmetic (1/32-pixel positions, 15-bit weights). `expand` grows the canvas to hold the
    /// whole result; uncovered pixels are `background`.
    public func rotated(
        degrees: Double, expand: Bool = true, background: Color? = nil, parallelism: Parallelism = .allCores
    ) throws(ImagingError) -> PixelBuffer {
        try rotated(
            degrees: degrees, expand: expand, background: background, parallelism: parallelism,
            avx2: CPUFeatures.hasAVX2)
    }

    /// `avx2` lets colour pixels be sampled eight at a time; callers pass `CPUFeatures.hasAVX2` (tests pass
    /// both).
    func rotated(
        degrees: Double, expand: Bool, background: Color?, parallelism: Parallelism, avx2: Bool
    ) throws(ImagingError) -> PixelBuffer {
        guard degrees.isFinite, abs(degrees) <= 36_000 else {
            throw .invalidParameter(operation: "rotate", message: "degrees must be a finite angle, got \(degrees)")
        }
        let turn = degrees.truncatingRemainder(dividingBy: 360)
        // A tiny negative turn plus 360 rounds to exactly 360, which is no turn at all.
        let shifted = turn < 0 ? turn + 360 : turn
        let normalized = shifted >= 360 ? 0 : shifted
        if normalized == 0 { return self }
        if normalized.truncatingRemainder(dividingBy: 90) == 0, expand || width == height || normalized == 180,
            let angle = RightAngle(rawValue: Int(normalized))
        {
            return rotated(angle, parallelism: parallelism)
        }
        let fill = (background ?? (layout.hasAlpha ? .transparent : .black)).bytes(for: layout)
        let radians = normalized * Double.pi / 180
        let (cosine, sine) = (cos(radians), sin(radians))
        var outputWidth = width
        var outputHeight = height
        let centerX = Double(width) / 2
        let centerY = Double(height) / 2
        // getRotationMatrix2D(centre, degrees, 1), then a shift onto the expanded canvas.
        var m = [
            cosine, sine, (1 - cosine) * centerX - sine * centerY, -sine, cosine,
            sine * centerX + (1 - cosine) * centerY,
        ]
        if expand {
            outputWidth = Int((Double(height) * abs(sine) + Double(width) * abs(cosine)).rounded(.up))
            outputHeight = Int((Double(height) * abs(cosine) + Double(width) * abs(sine)).rounded(.up))
            m[2] += Double(outputWidth) / 2 - centerX
            m[5] += Double(outputHeight) / 2 - centerY
        }
        guard outputWidth * outputHeight <= 4 * DecodeOptions.defaultPixelLimit else {
            throw .tooManyPixels(width: outputWidth, height: outputHeight, limit: 4 * DecodeOptions.defaultPixelLimit)
        }
        return warpedAffine(
            inverse: Self.inverted(m), width: outputWidth, height: outputHeight, fill: fill, parallelism: parallelism,
            avx2: avx2)
    }

    /// The inverse of a 2×3 affine matrix, as warpAffine computes it.
    private static func inverted(_ m: [Double]) -> [Double] {
        let determinant = m[0] * m[4] - m[1] * m[3]
        let d = determinant != 0 ? 1 / determinant : 0
        let (a11, a22) = (m[4] * d, m[0] * d)
        let (a12, a21) = (-m[1] * d, -m[3] * d)
        return [a11, a12, -a11 * m[2] - a12 * m[5], a21, a22, -a21 * m[2] - a22 * m[5]]
    }

    private func warpedAffine(
        inverse m: [Double], width outputWidth: Int, height outputHeight: Int, fill: [UInt8], parallelism: Parallelism,
        avx2: Bool
    ) -> PixelBuffer {
        let (width, height, channels) = (self.width, self.height, self.channels)
        let scale = 1024.0  // AB_SCALE
        let roundDelta = 16  // AB_SCALE / INTER_TAB_SIZE / 2
        let xDeltas = (0..<outputWidth).map {
            (
                Int((m[0] * Double($0) * scale).rounded(.toNearestOrEven)),
                Int((m[3] * Double($0) * scale).rounded(.toNearestOrEven))
            )
        }
        // The AVX2 sampler computes positions in Int32: with sides under 2¹⁸, a position (1/1024 pixels) of
        // an output pixel stays within twice the larger side, 2²⁹.
        let vectorized =
            avx2 && (channels == 3 || channels == 4) && max(width, height, outputWidth, outputHeight) < 1 << 18
        // Measured on 12 MP and 1080p photos at 17°: bands of 8–64 rows and tiles of 128–1024 columns all take
        // 0.4–0.6 of the time of whole rows; these two were best at both sizes.
        let (band, tile) = (16, 1024)
        return PixelBuffer(width: outputWidth, height: outputHeight, layout: layout) { output in
            pixels.withUnsafeBufferPointer { source in
                let sampler = AffineSampler(
                    source: source.baseAddress!, width: width, height: height, channels: channels,
                    outputWidth: outputWidth, fill: fill, deltas: xDeltas, vectorized: vectorized)
                // Tiles of `band` rows × `tile` columns: a rotated row crosses many source rows, and a tile's
                // source area stays in cache while the band's rows are sampled.
                parallelism.forEachRange((outputHeight + band - 1) / band, grain: 1) { bands in
                    for bandIndex in bands {
                        let rows = bandIndex * band..<min(outputHeight, bandIndex * band + band)
                        let origins = rows.map { y in
                            (
                                Int(((m[1] * Double(y) + m[2]) * scale).rounded(.toNearestOrEven)) + roundDelta,
                                Int(((m[4] * Double(y) + m[5]) * scale).rounded(.toNearestOrEven)) + roundDelta
                            )
                        }
                        for tileStart in stride(from: 0, to: outputWidth, by: tile) {
                            for (y, (x0, y0)) in zip(rows, origins) {
                                sampler.sample(
                                    tileStart..<min(outputWidth, tileStart + tile),
                                    into: output + y * outputWidth * channels, x0: x0, y0: y0)
                            }
                        }
                    }
                }
            }
        }
    }
}
