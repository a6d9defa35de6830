import ImagingKernels

#if arch(x86_64)
    import ImagingAVX2
#endif

extension PixelBuffer {
    /// The per-channel median over a (2·`radius` + 1)² square (edges repeat the border pixel, as OpenCV).
    /// Radius 1 and 2 use comparator networks (`medianByNetwork`); larger radii Huang's sliding histogram
    /// with a 16-bin coarse level: O(radius) updates and at most 32 bin visits per pixel.
    public func medianBlurred(radius: Int, parallelism: Parallelism = .allCores) throws(ImagingError) -> PixelBuffer {
        try Self.checkRadius(radius, of: .median)
        if radius <= 2 { return medianByNetwork(radius: radius, parallelism: parallelism, avx2: CPUFeatures.hasAVX2) }
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
    /// Small windows (3×3, 5×5): comparator networks over 16 (SSE2) or 32 (AVX2) neighbouring bytes at a time. Each source row
    /// is padded once (the border pixel repeated) into a ring of the window's rows; each output row then
    /// goes in strips of `strip` bytes that stay in the L1 cache: sort the strip's columns once (every
    /// window shares its columns with its neighbours), then take each window's median from its sorted
    /// columns (`MedianNetwork`).
    /// `avx2` picks the 32-byte kernel; callers pass `CPUFeatures.hasAVX2` (tests pass both).
    func medianByNetwork(radius: Int, parallelism: Parallelism, avx2: Bool) -> PixelBuffer {
        let (width, height, channels) = (self.width, self.height, self.channels)
        let rowBytes = self.rowBytes
        let side = 2 * radius + 1
        #if arch(x86_64)
            let lanes = avx2 ? 32 : ByteLanes.count
        #else
            let lanes = ByteLanes.count
        #endif
        let strip = 1024
        let apron = 2 * radius * channels
        // Padded rows and sorted-column planes end in a vector's worth of slack, so every load is whole.
        let paddedBytes = rowBytes + apron
        let pitch = (paddedBytes + 2 * lanes - 1) / lanes * lanes
        let planePitch = (min(strip, rowBytes) + apron + 3 * lanes - 1) / lanes * lanes
        return PixelBuffer(width: width, height: height, layout: layout) { output in
            pixels.withUnsafeBufferPointer { source in
                let source = source.baseAddress!
                parallelism.forEachRange(height, grain: 16) { band in
                    let bytes = side * (pitch + planePitch)
                    let scratch = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: lanes)
                    scratch.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
                    defer { scratch.deallocate() }
                    let ring = scratch.assumingMemoryBound(to: UInt8.self)
                    let sorted = scratch + side * pitch
                    // The window row each ring slot holds (unclamped), so each source row is padded once.
                    var held = [Int](repeating: Int.min, count: side)
                    let lines = UnsafeMutablePointer<UnsafeRawPointer>.allocate(capacity: side)
                    defer { lines.deallocate() }
                    for y in band {
                        for dy in -radius...radius {
                            let slot = ((y + dy) % side + side) % side
                            let line = ring + slot * pitch
                            lines[dy + radius] = UnsafeRawPointer(line)
                            if held[slot] == y + dy { continue }
                            held[slot] = y + dy
                            let row = source + min(max(y + dy, 0), height - 1) * rowBytes
                            (line + radius * channels).update(from: row, count: rowBytes)
                            for x in 0..<radius {
                                for c in 0..<channels {
                                    line[x * channels + c] = row[c]
                                    line[(radius + width + x) * channels + c] = row[(width - 1) * channels + c]
                                }
                            }
                        }
                        let target = output + y * rowBytes
                        for start in stride(from: 0, to: rowBytes, by: strip) {
                            let length = min(strip, rowBytes - start)
                            #if arch(x86_64)
                                if avx2 {
                                    medianStripAVX2(
                                        lines: lines, start: start, length: length, radius: radius, channels: channels,
                                        sorted: sorted, planePitch: planePitch, target: target)
                                    continue
                                }
                            #endif
                            MedianStrip.filter(
                                ByteLanes.self, lines: lines, start: start, length: length, radius: radius,
                                channels: channels, sorted: sorted, planePitch: planePitch, target: target)
                        }
                    }
                }
            }
        }
    }
}
