import Foundation
import Imaging

/// One run of a pipeline over encoded bytes, and the time each stage took.
struct Rendition: Sendable {
    var bytes: [UInt8]
    var format: ImageFormat
    var width: Int
    var height: Int
    /// Milliseconds per stage: `decode`, `process`, `encode`.
    var timings: [String: Double]

    /// Decodes (scaled when the pipeline starts by shrinking a JPEG), runs the operations, encodes in
    /// `format` (the input's when nil).
    static func render(
        _ bytes: [UInt8], pipeline: Pipeline, format: ImageFormat?, quality: Int, pixelLimit: Int, pixelBudget: Int,
        parallelism: Parallelism = .allCores
    ) throws(ImagingError) -> Rendition {
        var clock = StageClock()
        let header = try ImageCodec.header(of: bytes)
        var image = try ImageCodec.decode(
            bytes, options: DecodeOptions(pixelLimit: pixelLimit, minimumSize: pipeline.decodeTarget(for: header)))
        clock.lap("decode")
        try pipeline.run(
            on: &image, orientation: header.orientation, parallelism: parallelism, pixelBudget: pixelBudget)
        clock.lap("process")
        let output = format ?? header.format
        let encoded = try ImageCodec.encode(image, as: output, quality: quality)
        clock.lap("encode")
        return Rendition(
            bytes: encoded, format: output, width: image.width, height: image.height, timings: clock.laps)
    }
}

/// Milliseconds between laps, by name.
struct StageClock {
    private var last = ContinuousClock.now
    private(set) var laps: [String: Double] = [:]

    mutating func lap(_ name: String) {
        let now = ContinuousClock.now
        let elapsed = now - last
        laps[name, default: 0] +=
            Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        last = now
    }

    /// Starts the next lap now, without recording the time since the last one.
    mutating func restart() { last = ContinuousClock.now }
}
