extension PixelBuffer {
    /// The per-channel median over a (2·`radius` + 1)² square (edges repeat the border pixel, as OpenCV).
    /// Huang's sliding histogram with a 16-bin coarse level: O(radius) updates and at most 32 bin visits
    /// per pixel.
    public func medianBlurred(radius: Int, parallelism: Parallelism = .allCores) throws(ImagingError) -> PixelBuffer {
        guard (1...50).contains(radius) else {
            throw .invalidParameter(operation: "blur", message: "a median radius must be 1…50, got \(radius)")
        }
        let (width, height, channels) = (self.width, self.height, self.channels)
        let rowBytes = self.rowBytes
        let half = (2 * radius + 1) * (2 * radius + 1) / 2
        return PixelBuffer(width: width, height: height, layout: layout) { output in
            pixels.withUnsafeBufferPointer { source in
                let source = source.baseAddress!
                parallelism.forEachRange(height, grain: 16) { band in
                    var fine = [UInt16](repeating: 0, count: 256)
                    var coarse = [UInt16](repeating: 0, count: 16)
                    for y in band {
                        let rows = (-radius...radius).map { source + min(max(y + $0, 0), height - 1) * rowBytes }
                        for channel in 0..<channels {
                            for index in 0..<256 { fine[index] = 0 }
                            for index in 0..<16 { coarse[index] = 0 }
                            func update(column: Int, by delta: UInt16, adding: Bool) {
                                let offset = min(max(column, 0), width - 1) * channels + channel
                                for row in rows {
                                    let value = Int(row[offset])
                                    if adding {
                                        fine[value] &+= delta
                                        coarse[value >> 4] &+= delta
                                    } else {
                                        fine[value] &-= delta
                                        coarse[value >> 4] &-= delta
                                    }
                                }
                            }
                            for column in -radius...radius { update(column: column, by: 1, adding: true) }
                            for x in 0..<width {
                                if x > 0 {
                                    update(column: x - radius - 1, by: 1, adding: false)
                                    update(column: x + radius, by: 1, adding: true)
                                }
                                var seen = 0
                                var bin = 0
                                while seen + Int(coarse[bin]) <= half {
                                    seen += Int(coarse[bin])
                                    bin += 1
                                }
                                var value = bin << 4
                                while seen + Int(fine[value]) <= half {
                                    seen += Int(fine[value])
                                    value += 1
                                }
                                output[y * rowBytes + x * channels + channel] = UInt8(value)
                            }
                        }
                    }
                }
            }
        }
    }
}
