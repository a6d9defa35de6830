#if arch(x86_64)
    import ImagingAVX2
#endif

extension PixelBuffer {
    /// The image resized into `width` × `height` (either may be nil to follow the aspect ratio).
    public func resized(
        width requestedWidth: Int?, height requestedHeight: Int?, fit: ResizeFit = .contain,
        filter: ResampleFilter = .area, parallelism: Parallelism = .allCores
    ) throws(ImagingError) -> PixelBuffer {
        let box = try ResizeBox(
            sourceWidth: width, sourceHeight: height, width: requestedWidth, height: requestedHeight, fit: fit)
        var result = resampled(
            width: box.scaledWidth, height: box.scaledHeight, filter: filter, parallelism: parallelism)
        if box.scaledWidth != box.width || box.scaledHeight != box.height {
            result = try result.cropped(
                x: (box.scaledWidth - box.width) / 2, y: (box.scaledHeight - box.height) / 2,
                width: box.width, height: box.height)
        }
        return result
    }

    /// The image resampled to exactly `newWidth` × `newHeight`, separably, one output row at a time so that
    /// no full-size intermediate image exists. When shrinking vertically, the vertical pass runs first (over
    /// source width, into one float row); when enlarging, each source row is resampled horizontally once,
    /// kept in a small ring of rows, and output rows blend those rows.
    /// `antialias: false` samples without widening the kernel when shrinking, as OpenCV's `resize` does
    /// (what a detector trained on such inputs expects).
    public func resampled(
        width newWidth: Int, height newHeight: Int, filter: ResampleFilter, antialias: Bool = true,
        parallelism: Parallelism = .allCores
    ) -> PixelBuffer {
        resampled(
            width: newWidth, height: newHeight, filter: filter, antialias: antialias, parallelism: parallelism,
            avx2: CPUFeatures.hasAVX2)
    }

    /// `avx2` lets enlarging with two taps per side use the AVX2 passes; callers pass `CPUFeatures.hasAVX2`
    /// (tests pass both).
    func resampled(
        width newWidth: Int, height newHeight: Int, filter: ResampleFilter, antialias: Bool, parallelism: Parallelism,
        avx2: Bool
    ) -> PixelBuffer {
        precondition(newWidth > 0 && newHeight > 0)
        if newWidth == width && newHeight == height { return self }
        let columns = ResampleWeights(input: width, output: newWidth, filter: filter, antialias: antialias)
        let rows = ResampleWeights(input: height, output: newHeight, filter: filter, antialias: antialias)
        let channels = self.channels
        let sourceRowBytes = rowBytes
        let outputRowBytes = newWidth * channels
        let horizontalFirst = newHeight > height
        let twoTapsAVX2 = avx2 && columns.taps == 2 && channels >= 3
        return PixelBuffer(width: newWidth, height: newHeight, layout: layout) { output in
            pixels.withUnsafeBufferPointer { source in
                let source = source.baseAddress!
                rows.weights.withUnsafeBufferPointer { rowWeights in
                    parallelism.forEachRange(newHeight, grain: 8) { band in
                        // Float rows with four floats of slack: the horizontal pass loads and stores whole
                        // 4-float pixels.
                        let line = UnsafeMutablePointer<Float>.allocate(capacity: sourceRowBytes + 4)
                        line.initialize(repeating: 0, count: sourceRowBytes + 4)
                        defer { line.deallocate() }
                        if horizontalFirst {
                            let ring = RowRing(taps: rows.taps, rowLength: outputRowBytes)
                            defer { ring.deallocate() }
                            for y in band {
                                let first = rows.starts[y]
                                for tap in 0..<rows.taps {
                                    let row = first + tap
                                    if let slot = ring.slotToFill(for: row) {
                                        let bytes = source + row * sourceRowBytes
                                        if twoTapsAVX2 {
                                            horizontalTwoTaps(
                                                bytes, available: (height - row) * sourceRowBytes,
                                                channels: channels, columns: columns, into: slot, outputWidth: newWidth)
                                            continue
                                        }
                                        for index in 0..<sourceRowBytes { line[index] = Float(bytes[index]) }
                                        horizontalPass(
                                            from: line, channels: channels, columns: columns, into: slot,
                                            outputWidth: newWidth)
                                    }
                                }
                                blendRows(
                                    ring: ring, first: first, taps: rows.taps,
                                    weights: rowWeights.baseAddress! + y * rows.taps,
                                    into: output + y * outputRowBytes, count: outputRowBytes, avx2: avx2)
                            }
                        } else {
                            let resampled = UnsafeMutablePointer<Float>.allocate(capacity: outputRowBytes + 4)
                            defer { resampled.deallocate() }
                            for y in band {
                                verticalPass(
                                    source: source + rows.starts[y] * sourceRowBytes, rowBytes: sourceRowBytes,
                                    weights: rowWeights.baseAddress! + y * rows.taps, taps: rows.taps, into: line)
                                horizontalPass(
                                    from: line, channels: channels, columns: columns, into: resampled,
                                    outputWidth: newWidth)
                                let out = output + y * outputRowBytes
                                storeRounded(resampled, to: out, count: outputRowBytes)
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Horizontally resampled source rows, one slot per vertical tap, reused as the window slides down. Each
/// slot has four floats of slack after its row (the horizontal pass stores whole 4-float pixels).
private struct RowRing {
    let taps: Int
    let rowLength: Int
    let pitch: Int
    let storage: UnsafeMutablePointer<Float>
    let tags: UnsafeMutablePointer<Int>

    init(taps: Int, rowLength: Int) {
        self.taps = taps
        self.rowLength = rowLength
        pitch = rowLength + 4
        storage = .allocate(capacity: taps * pitch)
        storage.initialize(repeating: 0, count: taps * pitch)
        tags = .allocate(capacity: taps)
        tags.initialize(repeating: -1, count: taps)
    }

    func slot(for row: Int) -> UnsafeMutablePointer<Float> { storage + (row % taps) * pitch }

    /// The slot to compute `row` into, or nil when it already holds that row.
    func slotToFill(for row: Int) -> UnsafeMutablePointer<Float>? {
        if tags[row % taps] == row { return nil }
        tags[row % taps] = row
        return slot(for: row)
    }

    func deallocate() {
        storage.deallocate()
        tags.deallocate()
    }
}

/// output[i] = Σ weights[t] · row(first + t)[i], rounded to bytes: contiguous, so it vectorises.
@inline(__always)
private func blendRows(
    ring: RowRing, first: Int, taps: Int, weights: UnsafePointer<Float>, into output: UnsafeMutablePointer<UInt8>,
    count: Int, avx2: Bool
) {
    if taps == 2 {
        let (a, b) = (ring.slot(for: first), ring.slot(for: first + 1))
        let (wa, wb) = (weights[0], weights[1])
        var index = 0
        #if arch(x86_64)
            if avx2 { index = blendTwoRowsAVX2(a, b, weights: wa, wb, into: output, count: count) }
        #endif
        while index + 16 <= count {
            @inline(__always) func blend(_ k: Int) -> SIMD4<Float> {
                let offset = 4 * (index + 4 * k)
                return wa * UnsafeRawPointer(a).loadUnaligned(fromByteOffset: offset, as: SIMD4<Float>.self)
                    + wb * UnsafeRawPointer(b).loadUnaligned(fromByteOffset: offset, as: SIMD4<Float>.self)
            }
            storeRounded(blend(0), blend(1), blend(2), blend(3), to: output + index)
            index += 16
        }
        for index in index..<count { output[index] = clampToByte(wa * a[index] + wb * b[index]) }
        return
    }
    let scratch = UnsafeMutablePointer<Float>.allocate(capacity: count)
    defer { scratch.deallocate() }
    let w0 = weights[0]
    let row0 = ring.slot(for: first)
    for index in 0..<count { scratch[index] = w0 * row0[index] }
    for tap in 1..<taps {
        let weight = weights[tap]
        let row = ring.slot(for: first + tap)
        for index in 0..<count { scratch[index] += weight * row[index] }
    }
    storeRounded(scratch, to: output, count: count)
}

/// line[i] = Σ weights[t] · source[t·rowBytes + i]: contiguous, so the compiler vectorises it.
@inline(__always)
private func verticalPass(
    source: UnsafePointer<UInt8>, rowBytes: Int, weights: UnsafePointer<Float>, taps: Int,
    into line: UnsafeMutablePointer<Float>
) {
    let w0 = weights[0]
    for index in 0..<rowBytes { line[index] = w0 * Float(source[index]) }
    for tap in 1..<max(1, taps) {
        let weight = weights[tap]
        if weight == 0 { continue }
        let row = source + tap * rowBytes
        for index in 0..<rowBytes { line[index] += weight * Float(row[index]) }
    }
}

/// output[x·c + k] = Σₜ w(x, t) · line[(start(x) + t)·c + k] for the `c` channels of each output pixel.
/// `line` and `output` need four floats of slack after their last value: pixels of three and four
/// channels go as one 4-float vector (a three-channel pixel's fourth lane is the next pixel's first,
/// rewritten by the next store).
private func horizontalPass(
    from line: UnsafePointer<Float>, channels: Int, columns: ResampleWeights, into output: UnsafeMutablePointer<Float>,
    outputWidth: Int
) {
    columns.weights.withUnsafeBufferPointer { weights in
        columns.starts.withUnsafeBufferPointer { starts in
            let (weights, starts) = (weights.baseAddress!, starts.baseAddress!)
            switch (channels, columns.taps) {
            case (1, 2): horizontalPass(line, ChannelCount1.self, TapCount2.self, starts, weights, output, outputWidth)
            case (1, _): horizontalPass(line, ChannelCount1.self, columns.taps, starts, weights, output, outputWidth)
            case (2, _): horizontalPass(line, ChannelCount2.self, columns.taps, starts, weights, output, outputWidth)
            case (_, 2): vectorPass(line, channels, 2, starts, weights, output, outputWidth)
            default: vectorPass(line, channels, columns.taps, starts, weights, output, outputWidth)
            }
        }
    }
}

/// Three- or four-channel pixels, one 4-float vector each (inlined, so a constant `taps` unrolls).
@inline(__always)
private func vectorPass(
    _ line: UnsafePointer<Float>, _ channels: Int, _ taps: Int, _ starts: UnsafePointer<Int>,
    _ weights: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, _ outputWidth: Int
) {
    for x in 0..<outputWidth {
        let input = UnsafeRawPointer(line + starts[x] * channels)
        let w = weights + x * taps
        var sum = w[0] * input.loadUnaligned(as: SIMD4<Float>.self)
        for tap in 1..<taps {
            sum += w[tap] * input.loadUnaligned(fromByteOffset: tap * channels * 4, as: SIMD4<Float>.self)
        }
        UnsafeMutableRawPointer(output + x * channels).storeBytes(of: sum, as: SIMD4<Float>.self)
    }
}

@inline(__always)
private func horizontalPass<Count: ChannelCount, Taps: ChannelCount>(
    _ line: UnsafePointer<Float>, _: Count.Type, _: Taps.Type, _ starts: UnsafePointer<Int>,
    _ weights: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, _ outputWidth: Int
) {
    for x in 0..<outputWidth {
        let input = line + starts[x] * Count.value
        let w = weights + x * Taps.value
        for channel in 0..<Count.value {
            var sum: Float = 0
            for tap in 0..<Taps.value { sum += w[tap] * input[tap * Count.value + channel] }
            output[x * Count.value + channel] = sum
        }
    }
}

@inline(__always)
private func horizontalPass<Count: ChannelCount>(
    _ line: UnsafePointer<Float>, _: Count.Type, _ taps: Int, _ starts: UnsafePointer<Int>,
    _ weights: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, _ outputWidth: Int
) {
    for x in 0..<outputWidth {
        let input = line + starts[x] * Count.value
        let w = weights + x * taps
        for channel in 0..<Count.value {
            var sum: Float = 0
            for tap in 0..<taps { sum += w[tap] * input[tap * Count.value + channel] }
            output[x * Count.value + channel] = sum
        }
    }
}

/// The two-tap horizontal pass of three- or four-channel pixels straight from bytes: the AVX2 kernel, then
/// the last pixels (whose 8-byte loads would end past the source) with the same products and sum.
private func horizontalTwoTaps(
    _ row: UnsafePointer<UInt8>, available: Int, channels: Int, columns: ResampleWeights,
    into output: UnsafeMutablePointer<Float>, outputWidth: Int
) {
    columns.weights.withUnsafeBufferPointer { weights in
        columns.starts.withUnsafeBufferPointer { starts in
            var x = 0
            #if arch(x86_64)
                x = horizontalTwoTapsAVX2(
                    row, available: available, channels: channels, starts: starts.baseAddress!,
                    weights: weights.baseAddress!, into: output, outputWidth: outputWidth)
            #endif
            for x in x..<outputWidth {
                let (w0, w1) = (weights[2 * x], weights[2 * x + 1])
                let input = row + starts[x] * channels
                for c in 0..<channels {
                    output[x * channels + c] = w0 * Float(input[c]) + w1 * Float(input[channels + c])
                }
            }
        }
    }
}

/// Clamps to 0…255 and rounds to the nearest integer (ties to even). Adding 1.5·2²³ leaves the rounded
/// value in the low mantissa bits, so there is no trapping float-to-integer conversion and loops vectorise.
@inline(__always)
func clampToByte(_ value: Float) -> UInt8 {
    UInt8(truncatingIfNeeded: (min(max(value, 0), 255) + 12_582_912).bitPattern)
}

/// A channel count known at compile time, so per-channel loops unroll.
protocol ChannelCount { static var value: Int { get } }
enum ChannelCount1: ChannelCount { static var value: Int { 1 } }
enum ChannelCount2: ChannelCount { static var value: Int { 2 } }
enum ChannelCount3: ChannelCount { static var value: Int { 3 } }
enum ChannelCount4: ChannelCount { static var value: Int { 4 } }
enum TapCount2: ChannelCount { static var value: Int { 2 } }

/// The output size of a resize, and the size before a `cover` crop.
struct ResizeBox: Equatable {
    var width: Int
    var height: Int
    var scaledWidth: Int
    var scaledHeight: Int

    /// Largest side accepted for an output: keeps a typo from asking for gigapixels.
    static let maximumSide = OperationLimits.maximumSide

    static let missingSize = ImagingError(OperationLimits.missingSize)

    /// At least one side, each 1…`maximumSide`.
    static func check(width: Int?, height: Int?) throws(ImagingError) {
        do { try OperationLimits.checkResize(width: width, height: height) } catch { throw ImagingError(error) }
    }

    init(sourceWidth: Int, sourceHeight: Int, width: Int?, height: Int?, fit: ResizeFit) throws(ImagingError) {
        try Self.check(width: width, height: height)
        let aspect = Double(sourceWidth) / Double(sourceHeight)
        // Clamped as a Double first: a side computed from an extreme aspect can exceed Int (the fuzzer
        // found it through `largestOutput`), and NaN converts to nothing at all.
        func rounded(_ value: Double) -> Int {
            let side = value.rounded()
            guard side.isFinite else { return side > 0 ? Self.maximumSide : 1 }
            return Int(min(Double(Self.maximumSide), max(1, side)))
        }
        switch (width, height) {
        case (nil, nil):
            throw Self.missingSize
        case (let width?, nil):
            self.init(same: width, rounded(Double(width) / aspect))
        case (nil, let height?):
            self.init(same: rounded(Double(height) * aspect), height)
        case (let width?, let height?):
            switch fit {
            case .fill:
                self.init(same: width, height)
            case .contain:
                let scale = min(Double(width) / Double(sourceWidth), Double(height) / Double(sourceHeight))
                self.init(
                    same: min(width, rounded(Double(sourceWidth) * scale)),
                    min(height, rounded(Double(sourceHeight) * scale)))
            case .cover:
                let scale = max(Double(width) / Double(sourceWidth), Double(height) / Double(sourceHeight))
                self.init(
                    width: width, height: height, scaledWidth: max(width, rounded(Double(sourceWidth) * scale)),
                    scaledHeight: max(height, rounded(Double(sourceHeight) * scale)))
            }
        }
    }

    private init(same width: Int, _ height: Int) {
        self.init(width: width, height: height, scaledWidth: width, scaledHeight: height)
    }

    private init(width: Int, height: Int, scaledWidth: Int, scaledHeight: Int) {
        (self.width, self.height, self.scaledWidth, self.scaledHeight) = (width, height, scaledWidth, scaledHeight)
    }
}
