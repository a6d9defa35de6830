#if arch(x86_64)
    import ImagingAVX2
#endif

/// A rotation by a multiple of 90°, done by moving pixels (no interpolation).
public enum RightAngle: Int, Sendable {
    /// 90° counter-clockwise.
    case counterClockwise = 90
    case halfTurn = 180
    /// 90° clockwise (270° counter-clockwise).
    case clockwise = 270
}

extension PixelBuffer {
    /// The image turned by a right angle; tiles keep both the reads and the writes in cache.
    public func rotated(_ angle: RightAngle, parallelism: Parallelism = .allCores) -> PixelBuffer {
        rotated(angle, parallelism: parallelism, avx2: CPUFeatures.hasAVX2)
    }

    /// `avx2` lets colour tiles be transposed in registers; callers pass `CPUFeatures.hasAVX2` (tests pass
    /// both).
    func rotated(_ angle: RightAngle, parallelism: Parallelism, avx2: Bool) -> PixelBuffer {
        if angle == .halfTurn { return flipped(.both) }
        return switch channels {
        case 1: rotatedQuarter(angle, ChannelCount1.self, parallelism, avx2)
        case 2: rotatedQuarter(angle, ChannelCount2.self, parallelism, avx2)
        case 3: rotatedQuarter(angle, ChannelCount3.self, parallelism, avx2)
        default: rotatedQuarter(angle, ChannelCount4.self, parallelism, avx2)
        }
    }

    private func rotatedQuarter<Count: ChannelCount>(
        _ angle: RightAngle, _: Count.Type, _ parallelism: Parallelism, _ avx2: Bool
    ) -> PixelBuffer {
        let (width, height) = (self.width, self.height)
        let channels = Count.value
        let outputRowBytes = height * channels
        let sourceRowBytes = width * channels
        // 32 source columns × 128 rows: measured best of 4–64 × 32–whole-height at 12 MP and 1080p (short
        // tiles start too many output lines; tall narrow ones read too many source pages).
        let (tile, tileRows) = (32, 128)
        let counterClockwise = angle == .counterClockwise
        let vectorized = avx2 && Count.value >= 3
        return PixelBuffer(width: height, height: width, layout: layout) { output in
            pixels.withUnsafeBufferPointer { source in
                let source = source.baseAddress!
                // Work is split over output rows (= source columns), a tile at a time. Counter-clockwise,
                // source column x becomes output row width − 1 − x read top to bottom; clockwise, output row
                // x read bottom to top.
                /// Pixels moved one by one.
                func copy(columns: Range<Int>, rows: Range<Int>) {
                    guard !rows.isEmpty else { return }
                    for x in columns {
                        let line = output + (counterClockwise ? width - 1 - x : x) * outputRowBytes
                        var from = source + rows.lowerBound * sourceRowBytes + x * channels
                        if counterClockwise {
                            var to = line + rows.lowerBound * channels
                            for _ in rows {
                                for c in 0..<Count.value { to[c] = from[c] }
                                from += sourceRowBytes
                                to += channels
                            }
                        } else {
                            var to = line + (height - 1 - rows.lowerBound) * channels
                            for _ in rows {
                                for c in 0..<Count.value { to[c] = from[c] }
                                from += sourceRowBytes
                                to -= channels
                            }
                        }
                    }
                }
                parallelism.forEachRange((width + tile - 1) / tile, grain: 1) { tiles in
                    for tileX in tiles {
                        let x0 = tileX * tile
                        let x1 = min(width, x0 + tile)
                        var y0 = 0
                        while y0 < height {
                            let y1 = min(height, y0 + tileRows)
                            var blocks = (columns: 0, rows: 0)
                            #if arch(x86_64)
                                if vectorized {
                                    blocks = quarterTurnBlocksAVX2(
                                        source, width: width, height: height, channels: channels, into: output,
                                        counterClockwise: counterClockwise, columns: x0..<x1, rows: y0..<y1)
                                }
                            #endif
                            // Below the blocks in their columns, then the columns beside them.
                            copy(columns: x0..<x0 + blocks.columns, rows: y0 + blocks.rows..<y1)
                            copy(columns: x0 + blocks.columns..<x1, rows: y0..<y1)
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
