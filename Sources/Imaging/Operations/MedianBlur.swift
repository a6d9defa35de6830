extension PixelBuffer {
    /// The per-channel median over a (2·`radius` + 1)² square (edges repeat the border pixel, as OpenCV).
    /// Huang's sliding histogram with a 16-bin coarse level: O(radius) updates and at most 32 bin visits
    /// per pixel.
    public func medianBlurred(radius: Int, parallelism: Parallelism = .allCores) throws(ImagingError) -> PixelBuffer {
        try Self.checkRadius(radius, of: .median)
        if radius <= 2 { return medianBySelection(radius: radius, parallelism: parallelism) }
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

extension PixelBuffer {
    /// Small windows (3×3, 5×5): forgetful selection on vectors of neighbouring bytes. Keep n/2 + 2 of the n
    /// window values, repeatedly drop the smallest and the largest (neither can be the median) and take
    /// in the next value; the last one left is the median. Every step is an element-wise min/max over a
    /// run of bytes, which the compiler vectorises; rows are padded by repeating the border pixel.
    fileprivate func medianBySelection(radius: Int, parallelism: Parallelism) -> PixelBuffer {
        let (width, height, channels) = (self.width, self.height, self.channels)
        let rowBytes = self.rowBytes
        let side = 2 * radius + 1
        let count = side * side
        let keep = count / 2 + 2
        let paddedBytes = (width + 2 * radius) * channels
        let chunk = 64
        return PixelBuffer(width: width, height: height, layout: layout) { output in
            pixels.withUnsafeBufferPointer { source in
                let source = source.baseAddress!
                parallelism.forEachRange(height, grain: 16) { band in
                    let padded = UnsafeMutablePointer<UInt8>.allocate(capacity: side * paddedBytes)
                    let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: count * chunk)
                    var windows = [UnsafePointer<UInt8>](repeating: source, count: count)
                    defer {
                        padded.deallocate()
                        buffer.deallocate()
                    }
                    for y in band {
                        for dy in 0..<side {
                            let row = source + min(max(y + dy - radius, 0), height - 1) * rowBytes
                            let line = padded + dy * paddedBytes
                            (line + radius * channels).update(from: row, count: rowBytes)
                            for x in 0..<radius {
                                for c in 0..<channels {
                                    line[x * channels + c] = row[c]
                                    line[(radius + width + x) * channels + c] = row[(width - 1) * channels + c]
                                }
                            }
                            for dx in 0..<side { windows[dy * side + dx] = UnsafePointer(line + dx * channels) }
                        }
                        var start = 0
                        while start < rowBytes {
                            let length = min(chunk, rowBytes - start)
                            for k in 0..<keep { (buffer + k * chunk).update(from: windows[k] + start, count: length) }
                            var base = 0
                            var size = keep
                            var next = keep
                            while size > 1 {
                                let low = buffer + base * chunk
                                let high = buffer + (base + size - 1) * chunk
                                for k in 1..<size { orderPair(low, buffer + (base + k) * chunk, length) }
                                for k in 1..<(size - 1) { orderPair(buffer + (base + k) * chunk, high, length) }
                                base += 1
                                size -= 2
                                if next < count {
                                    (buffer + (base + size) * chunk).update(from: windows[next] + start, count: length)
                                    size += 1
                                    next += 1
                                }
                            }
                            (output + y * rowBytes + start).update(from: buffer + base * chunk, count: length)
                            start += length
                        }
                    }
                }
            }
        }
    }
}

/// a[i], b[i] = min, max — element-wise over `length` bytes.
@inline(__always)
private func orderPair(_ a: UnsafeMutablePointer<UInt8>, _ b: UnsafeMutablePointer<UInt8>, _ length: Int) {
    for i in 0..<length {
        let (x, y) = (a[i], b[i])
        a[i] = min(x, y)
        b[i] = max(x, y)
    }
}
