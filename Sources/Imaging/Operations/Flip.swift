extension PixelBuffer {
    /// Mirrors the image in place.
    public mutating func flip(_ axis: FlipAxis) {
        let width = self.width
        let height = self.height
        let channels = self.channels
        let rowBytes = self.rowBytes
        pixels.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            if axis != .vertical {
                for row in 0..<height {
                    let line = base + row * rowBytes
                    var left = 0
                    var right = width - 1
                    while left < right {
                        for channel in 0..<channels {
                            swap(&line[left * channels + channel], &line[right * channels + channel])
                        }
                        left += 1
                        right -= 1
                    }
                }
            }
            if axis != .horizontal {
                let scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: rowBytes)
                defer { scratch.deallocate() }
                for row in 0..<height / 2 {
                    let top = base + row * rowBytes
                    let bottom = base + (height - 1 - row) * rowBytes
                    scratch.update(from: top, count: rowBytes)
                    top.update(from: bottom, count: rowBytes)
                    bottom.update(from: scratch, count: rowBytes)
                }
            }
        }
    }

    public func flipped(_ axis: FlipAxis) -> PixelBuffer {
        var copy = self
        copy.flip(axis)
        return copy
    }
}
