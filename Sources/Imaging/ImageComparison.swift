import Foundation

/// Full-reference image quality, as scikit-image computes it: for checking results against references.
public enum ImageComparison {
    /// Largest and mean absolute difference over every byte, and how many bytes differ by more than 1.
    public struct Difference: Sendable, Equatable {
        public var maximum: Int
        public var mean: Double
        public var beyondOne: Int
    }

    public static func difference(_ a: PixelBuffer, _ b: PixelBuffer) -> Difference {
        precondition(a.width == b.width && a.height == b.height && a.layout == b.layout, "compare equal shapes")
        var maximum = 0
        var total = 0
        var beyondOne = 0
        for index in a.pixels.indices {
            let difference = abs(Int(a.pixels[index]) - Int(b.pixels[index]))
            maximum = max(maximum, difference)
            total += difference
            if difference > 1 { beyondOne += 1 }
        }
        return Difference(maximum: maximum, mean: Double(total) / Double(max(1, a.pixels.count)), beyondOne: beyondOne)
    }

    /// Peak signal-to-noise ratio in dB over all channels (data range 255); infinity for equal images.
    public static func psnr(_ a: PixelBuffer, _ b: PixelBuffer) -> Double {
        precondition(a.width == b.width && a.height == b.height && a.layout == b.layout, "compare equal shapes")
        var sum = 0.0
        for index in a.pixels.indices {
            let difference = Double(a.pixels[index]) - Double(b.pixels[index])
            sum += difference * difference
        }
        let mse = sum / Double(a.pixels.count)
        return mse == 0 ? .infinity : 10 * log10(255 * 255 / mse)
    }

    /// Mean SSIM with scikit-image's defaults: 7×7 uniform window, K1 0.01, K2 0.03, sample covariance,
    /// borders of 3 pixels left out, averaged over channels.
    public static func ssim(_ a: PixelBuffer, _ b: PixelBuffer) -> Double {
        precondition(a.width == b.width && a.height == b.height && a.layout == b.layout, "compare equal shapes")
        let (width, height, channels) = (a.width, a.height, a.channels)
        let window = 7
        let half = window / 2
        guard width >= window, height >= window else { return a == b ? 1 : 0 }
        let n = Double(window * window)
        let covarianceNorm = n / (n - 1)
        let c1 = (0.01 * 255) * (0.01 * 255)
        let c2 = (0.03 * 255) * (0.03 * 255)
        var total = 0.0
        for channel in 0..<channels {
            // Integral images of x, y, x², y², xy.
            let stride = width + 1
            var sums = [[Double]](repeating: [Double](repeating: 0, count: stride * (height + 1)), count: 5)
            for y in 0..<height {
                var row = [Double](repeating: 0, count: 5)
                for x in 0..<width {
                    let u = Double(a.pixels[(y * width + x) * channels + channel])
                    let v = Double(b.pixels[(y * width + x) * channels + channel])
                    row[0] += u
                    row[1] += v
                    row[2] += u * u
                    row[3] += v * v
                    row[4] += u * v
                    for k in 0..<5 { sums[k][(y + 1) * stride + x + 1] = sums[k][y * stride + x + 1] + row[k] }
                }
            }
            func windowMean(_ k: Int, _ x: Int, _ y: Int) -> Double {
                let (x0, y0, x1, y1) = (x - half, y - half, x + half + 1, y + half + 1)
                let s = sums[k]
                return (s[y1 * stride + x1] - s[y0 * stride + x1] - s[y1 * stride + x0] + s[y0 * stride + x0]) / n
            }
            var channelSum = 0.0
            for y in half..<(height - half) {
                for x in half..<(width - half) {
                    let (ux, uy) = (windowMean(0, x, y), windowMean(1, x, y))
                    let vx = covarianceNorm * (windowMean(2, x, y) - ux * ux)
                    let vy = covarianceNorm * (windowMean(3, x, y) - uy * uy)
                    let vxy = covarianceNorm * (windowMean(4, x, y) - ux * uy)
                    channelSum +=
                        ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2))
                }
            }
            total += channelSum / Double((width - 2 * half) * (height - 2 * half))
        }
        return total / Double(channels)
    }
}
