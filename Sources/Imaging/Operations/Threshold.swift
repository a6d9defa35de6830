#if arch(x86_64)
    import ImagingAVX2
#endif

extension PixelBuffer {
    /// A black-and-white image: gray value > `value` maps by `mode`. Colour images are converted to gray
    /// first; alpha is kept.
    public func thresholded(
        value: Int, mode: ThresholdMode = .binary, parallelism: Parallelism = .allCores
    ) throws(ImagingError) -> PixelBuffer {
        // Bands of at least 2 MiB: below that, waking a second thread costs more than it saves.
        try thresholded(value: value, mode: mode, parallelism: parallelism, bandBytes: 2 << 20)
    }

    /// `bandBytes`: the least work per thread (tests make it small to split small images).
    func thresholded(
        value: Int, mode: ThresholdMode, parallelism: Parallelism, bandBytes: Int
    ) throws(ImagingError) -> PixelBuffer {
        try Self.checkThreshold(value)
        let gray = grayscale(parallelism: parallelism)
        let level = UInt8(value)
        let (above, below): (UInt8, UInt8) = mode == .binary ? (255, 0) : (0, 255)
        let (channels, rowBytes) = (gray.channels, gray.rowBytes)
        // Written straight into a new buffer: one pass, no copy of the gray image first.
        return PixelBuffer(width: gray.width, height: gray.height, layout: gray.layout) { output in
            gray.pixels.withUnsafeBufferPointer { pixels in
                parallelism.forEachRange(gray.height, grain: max(1, bandBytes / rowBytes)) { rows in
                    let (first, end) = (rows.lowerBound * rowBytes, rows.upperBound * rowBytes)
                    if channels == 1 {
                        var start = first
                        #if arch(x86_64)
                            if CPUFeatures.hasAVX2, level < 255 {
                                start += thresholdAVX2(
                                    pixels.baseAddress! + first, output + first, count: end - first, level: level,
                                    above: above, below: below)
                            }
                        #endif
                        // Contiguous and branch-free: the compiler turns this into vector compares.
                        for index in start..<end { output[index] = pixels[index] > level ? above : below }
                    } else {
                        var index = first
                        while index < end {
                            output[index] = pixels[index] > level ? above : below
                            output[index + 1] = pixels[index + 1]
                            index += channels
                        }
                    }
                }
            }
        }
    }

    /// A threshold level: 0…255.
    static func checkThreshold(_ value: Int) throws(ImagingError) {
        do { try OperationLimits.checkThreshold(value) } catch { throw ImagingError(error) }
    }

    /// Thresholds at Otsu's level (the one that maximises the between-class variance of the gray
    /// histogram, computed as OpenCV does); returns the image and that level.
    public func otsuThresholded(
        mode: ThresholdMode = .binary, parallelism: Parallelism = .allCores
    ) -> (image: PixelBuffer, level: Int) {
        let gray = grayscale(parallelism: parallelism)
        let level = Self.otsuLevel(histogram: gray.histogram(channel: 0))
        // `level` is in 0…255 by construction.
        return (try! gray.thresholded(value: level, mode: mode, parallelism: parallelism), level)
    }

    /// Counts of each level in one channel.
    func histogram(channel: Int) -> [Int] {
        pixels.withUnsafeBufferPointer { pixels in
            levelCounts(pixels.baseAddress! + channel, count: pixels.count / channels, stride: channels)
        }
    }

    static func otsuLevel(histogram: [Int]) -> Int {
        let total = Double(histogram.reduce(0, +))
        guard total > 0 else { return 0 }
        let epsilon = Double(Float.ulpOfOne)
        var mean = 0.0
        for (level, count) in histogram.enumerated() { mean += Double(level) * Double(count) }
        mean /= total
        var q1 = 0.0
        var mean1 = 0.0
        var bestSigma = 0.0
        var best = 0
        for (level, count) in histogram.enumerated() {
            let p = Double(count) / total
            mean1 *= q1
            q1 += p
            let q2 = 1 - q1
            if min(q1, q2) < epsilon || max(q1, q2) > 1 - epsilon { continue }
            mean1 = (mean1 + Double(level) * p) / q1
            let mean2 = (mean - q1 * mean1) / q2
            let sigma = q1 * q2 * (mean1 - mean2) * (mean1 - mean2)
            if sigma > bestSigma {
                bestSigma = sigma
                best = level
            }
        }
        return best
    }
}

/// Counts of each level among `count` bytes `stride` apart.
func levelCounts(_ start: UnsafePointer<UInt8>, count: Int, stride: Int) -> [Int] {
    // Eight partial histograms, so that runs of equal values do not wait on one counter.
    var partial = [UInt32](repeating: 0, count: 8 * 256)
    partial.withUnsafeMutableBufferPointer { counts in
        var sample = start
        var index = 0
        // Counts cannot overflow: a buffer has fewer than 2³² samples per partial histogram.
        if stride == 1 {
            // Eight samples per load, taken out of the register: half the loads of byte by byte.
            while index + 8 <= count {
                let word = UInt(UnsafeRawPointer(sample).loadUnaligned(as: UInt64.self))
                counts[Int(word & 0xFF)] &+= 1
                counts[256 + Int(word >> 8 & 0xFF)] &+= 1
                counts[512 + Int(word >> 16 & 0xFF)] &+= 1
                counts[768 + Int(word >> 24 & 0xFF)] &+= 1
                counts[1024 + Int(word >> 32 & 0xFF)] &+= 1
                counts[1280 + Int(word >> 40 & 0xFF)] &+= 1
                counts[1536 + Int(word >> 48 & 0xFF)] &+= 1
                counts[1792 + Int(word >> 56)] &+= 1
                sample += 8
                index += 8
            }
        }
        while index + 4 <= count {
            counts[Int(sample[0])] &+= 1
            counts[256 + Int(sample[stride])] &+= 1
            counts[512 + Int(sample[2 * stride])] &+= 1
            counts[768 + Int(sample[3 * stride])] &+= 1
            sample += 4 * stride
            index += 4
        }
        while index < count {
            counts[Int(sample[0])] &+= 1
            sample += stride
            index += 1
        }
    }
    return (0..<256).map { level in (0..<8).reduce(0) { $0 + Int(partial[256 * $1 + level]) } }
}
