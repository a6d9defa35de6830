/// A rotation by a multiple of 90°, done by moving pixels (no interpolation).
public enum RightAngle: Int, Sendable {
    /// 90° counter-clockwise.
    case counterClockwise = 90
    case halfTurn = 180
    /// 90° clockwise (270° counter-clockwise).
    case clockwise = 270
}

extension PixelBuffer {
    /// The image turned by a right angle; 32×32 tiles keep both the reads and the writes in cache.
    public func rotated(_ angle: RightAngle, parallelism: Parallelism = .allCores) -> PixelBuffer {
        if angle == .halfTurn { return flipped(.both) }
        let (width, height, channels) = (self.width, self.height, self.channels)
        let outputWidth = height
        let tile = 32
        return PixelBuffer(width: height, height: width, layout: layout) { output in
            pixels.withUnsafeBufferPointer { source in
                let source = source.baseAddress!
                // Work is split over output rows (= source columns), tile by tile.
                parallelism.forEachRange((width + tile - 1) / tile, grain: 1) { tiles in
                    for tileX in tiles {
                        let x0 = tileX * tile
                        let x1 = min(width, x0 + tile)
                        var y0 = 0
                        while y0 < height {
                            let y1 = min(height, y0 + tile)
                            for x in x0..<x1 {
                                // Counter-clockwise: source column x becomes output row (width − 1 − x).
                                let outputRow = angle == .counterClockwise ? width - 1 - x : x
                                let line = output + outputRow * outputWidth * channels
                                for y in y0..<y1 {
                                    let outputColumn = angle == .counterClockwise ? y : height - 1 - y
                                    let from = source + (y * width + x) * channels
                                    let to = line + outputColumn * channels
                                    for channel in 0..<channels { to[channel] = from[channel] }
                                }
                            }
                            y0 = y1
                        }
                    }
                }
            }
        }
    }

    /// The image turned upright according to its EXIF orientation.
    public func oriented(_ orientation: Orientation, parallelism: Parallelism = .allCores) -> PixelBuffer {
        switch orientation {
        case .up: self
        case .upMirrored: flipped(.horizontal)
        case .down: rotated(.halfTurn)
        case .downMirrored: flipped(.vertical)
        case .leftMirrored: rotated(.clockwise, parallelism: parallelism).flipped(.horizontal)
        case .right: rotated(.clockwise, parallelism: parallelism)
        case .rightMirrored: rotated(.counterClockwise, parallelism: parallelism).flipped(.horizontal)
        case .left: rotated(.counterClockwise, parallelism: parallelism)
        }
    }
}
