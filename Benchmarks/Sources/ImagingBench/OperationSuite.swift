import Imaging

/// The operations of refbench's opencv_bench.py, in Swift, on one decoded input.
struct OperationSuite {
    let jpeg: [UInt8]
    let image: PixelBuffer
    let gray: PixelBuffer
    let png: [UInt8]
    let quick: Bool

    init(jpeg: [UInt8], quick: Bool) throws {
        self.jpeg = jpeg
        self.quick = quick
        image = try ImageCodec.decode(jpeg)
        gray = image.grayscale()
        png = try ImageCodec.encode(image, as: .png)
    }

    /// Name → one call. Codecs are single-threaded in both libraries; the mode only matters for operations.
    func operations(_ parallelism: Parallelism) -> [(String, () throws -> Void)] {
        let (image, gray, jpeg, png) = (self.image, self.gray, self.jpeg, self.png)
        var list: [(String, () throws -> Void)] = [
            ("jpeg_decode", { _ = try ImageCodec.decode(jpeg) }),
            ("jpeg_encode_q90", { _ = try ImageCodec.encode(image, as: .jpeg, quality: 90) }),
            ("png_decode", { _ = try ImageCodec.decode(png) }),
            ("png_encode_default", { _ = try ImageCodec.encode(image, as: .png, fastPNG: true) }),
            ("png_encode_level6", { _ = try ImageCodec.encode(image, as: .png, fastPNG: false) }),
            (
                "resize_quarter_area",
                {
                    _ = image.resampled(
                        width: image.width / 4, height: image.height / 4, filter: .area, parallelism: parallelism)
                }
            ),
            (
                "resize_2x_linear",
                {
                    _ = image.resampled(
                        width: image.width * 2, height: image.height * 2, filter: .bilinear, parallelism: parallelism)
                }
            ),
            ("gaussian_blur_sigma3", { _ = try image.gaussianBlurred(sigma: 3, parallelism: parallelism) }),
            ("unsharp_mask", { _ = try image.sharpened(sigma: 2, amount: 1, parallelism: parallelism) }),
            ("threshold_binary_gray", { _ = try gray.thresholded(value: 127, parallelism: parallelism) }),
            ("threshold_otsu_gray", { _ = gray.otsuThresholded(parallelism: parallelism) }),
            ("rgb_to_gray", { _ = image.grayscale(parallelism: parallelism) }),
            ("rgb_to_hsv", { _ = image.hsv(parallelism: parallelism) }),
            ("rotate_90", { _ = image.rotated(.clockwise, parallelism: parallelism) }),
            ("rotate_17_expand", { _ = try image.rotated(degrees: 17, parallelism: parallelism) }),
            ("jpeg_decode_eighth", { _ = try ImageCodec.decode(jpeg, options: DecodeOptions(minimumSize: (1, 1))) }),
            ("thumbnail_256", { _ = try Thumbnailer().jpeg(from: jpeg, parallelism: parallelism) }),
            ("dehaze", { _ = try image.dehazed(parallelism: parallelism) }),
            (
                "dehaze_fast_guided_filter",
                {
                    _ = try image.dehazed(DehazeParameters(subsampling: 4), parallelism: parallelism)
                }
            ),
            ("median_blur_5", { _ = try image.medianBlurred(radius: 2, parallelism: parallelism) }),
        ]
        if quick { list.removeAll { $0.0 == "png_encode_level6" } }
        return list
    }
}
