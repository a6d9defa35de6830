/// How `resize` fits an image into the requested box.
public enum ResizeFit: String, Sendable, Codable, CaseIterable {
    /// Fit inside the box, keeping the aspect ratio (one side may be smaller than asked).
    case contain
    /// Cover the box, keeping the aspect ratio, then crop the overflow from the centre.
    case cover
    /// Stretch to exactly the box.
    case fill
}

extension PixelBuffer {
    /// The image resized into `width` × `height` (either may be nil to follow the aspect ratio).
    public func resized(
        width requestedWidth: Int?, height requestedHeight: Int?, fit: ResizeFit = .contain,
        filter: ResampleFilter = .area, parallelism: Parallelism = .allCores
    ) throws(ImagingError) -> PixelBuffer {
        let box = try ResizeBox(
            sourceWidth: width, sourceHeight: height, width: requestedWidth, height: requestedHeight, fit: fit)
        var result = resampled(width: box.scaledWidth, height: box.scaledHeight, filter: filter, parallelism: parallelism)
        if box.scaledWidth != box.width || box.scaledHeight != box.height {
            result = try result.cropped(
                x: (box.scaledWidth - box.width) / 2, y: (box.scaledHeight - box.height) / 2,
                width: box.width, height: box.height)
        }
        return result
    }

    /// The image resampled to exactly `newWidth` × `newHeight`: a vertical pass into one float row, then a
    /// horizontal pass out of it, so no full-size intermediate image exists.
    public func resampled(
        width newWidth: Int, height newHeight: Int, filter: ResampleFilter, parallelism: Parallelism = .allCores
    ) -> PixelBuffer {
        precondition(newWidth > 0 && newHeight > 0)
        if newWidth == width && newHeight == height { return self }
        let columns = ResampleWeights(input: width, output: newWidth, filter: filter)
        let rows = ResampleWeights(input: height, output: newHeight, filter: filter)
        let channels = self.channels
        let sourceRowBytes = rowBytes
        let outputRowBytes = newWidth * channels
        return PixelBuffer(width: newWidth, height: newHeight, layout: layout) { output in
            pixels.withUnsafeBufferPointer { source in
                rows.weights.withUnsafeBufferPointer { rowWeights in
                    columns.weights.withUnsafeBufferPointer { columnWeights in
                        parallelism.forEachRange(newHeight, grain: 8) { band in
                            let line = UnsafeMutablePointer<Float>.allocate(capacity: sourceRowBytes)
                            defer { line.deallocate() }
                            for y in band {
                                let first = rows.starts[y]
                                let weights = rowWeights.baseAddress! + y * rows.taps
                                verticalPass(
                                    source: source.baseAddress! + first * sourceRowBytes, rowBytes: sourceRowBytes,
                                    weights: weights, taps: rows.taps, into: line)
                                horizontalPass(
                                    line: line, channels: channels, columns: columns, weights: columnWeights.baseAddress!,
                                    into: output + y * outputRowBytes, outputWidth: newWidth)
                            }
                        }
                    }
                }
            }
        }
    }
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

private func horizontalPass(
    line: UnsafePointer<Float>, channels: Int, columns: ResampleWeights, weights: UnsafePointer<Float>,
    into output: UnsafeMutablePointer<UInt8>, outputWidth: Int
) {
    switch channels {
    case 1: horizontalPass(line, ChannelCount1.self, columns, weights, output, outputWidth)
    case 2: horizontalPass(line, ChannelCount2.self, columns, weights, output, outputWidth)
    case 3: horizontalPass(line, ChannelCount3.self, columns, weights, output, outputWidth)
    default: horizontalPass(line, ChannelCount4.self, columns, weights, output, outputWidth)
    }
}

@inline(__always)
private func horizontalPass<Count: ChannelCount>(
    _ line: UnsafePointer<Float>, _: Count.Type, _ columns: ResampleWeights, _ weights: UnsafePointer<Float>,
    _ output: UnsafeMutablePointer<UInt8>, _ outputWidth: Int
) {
    let taps = columns.taps
    columns.starts.withUnsafeBufferPointer { starts in
        for x in 0..<outputWidth {
            let input = line + starts[x] * Count.value
            let w = weights + x * taps
            for channel in 0..<Count.value {
                var sum: Float = 0
                for tap in 0..<taps { sum += w[tap] * input[tap * Count.value + channel] }
                output[x * Count.value + channel] = clampToByte(sum)
            }
        }
    }
}

/// Rounds to the nearest integer and clamps to 0…255.
@inline(__always)
func clampToByte(_ value: Float) -> UInt8 {
    UInt8(min(max(value, 0), 255) + 0.5)
}

/// A channel count known at compile time, so per-channel loops unroll.
protocol ChannelCount { static var value: Int { get } }
enum ChannelCount1: ChannelCount { static var value: Int { 1 } }
enum ChannelCount2: ChannelCount { static var value: Int { 2 } }
enum ChannelCount3: ChannelCount { static var value: Int { 3 } }
enum ChannelCount4: ChannelCount { static var value: Int { 4 } }

/// The output size of a resize, and the size before a `cover` crop.
struct ResizeBox: Equatable {
    var width: Int
    var height: Int
    var scaledWidth: Int
    var scaledHeight: Int

    /// Largest side accepted for an output: keeps a typo from asking for gigapixels.
    static let maximumSide = 32_768

    init(sourceWidth: Int, sourceHeight: Int, width: Int?, height: Int?, fit: ResizeFit) throws(ImagingError) {
        func checked(_ value: Int?, _ name: String) throws(ImagingError) -> Int? {
            guard let value else { return nil }
            guard (1...Self.maximumSide).contains(value) else {
                throw .invalidParameter(operation: "resize", message: "\(name) must be 1…\(Self.maximumSide), got \(value)")
            }
            return value
        }
        let width = try checked(width, "width")
        let height = try checked(height, "height")
        let aspect = Double(sourceWidth) / Double(sourceHeight)
        func rounded(_ value: Double) -> Int { max(1, min(Self.maximumSide, Int(value.rounded()))) }
        switch (width, height) {
        case (nil, nil):
            throw .invalidParameter(operation: "resize", message: "give width, height or both")
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
