extension PixelBuffer {
    /// The rectangle at (`x`, `y`) of `width` × `height`, which must lie inside the image.
    public func cropped(x: Int, y: Int, width cropWidth: Int, height cropHeight: Int) throws(ImagingError)
        -> PixelBuffer
    {
        // Compared by subtraction: every term is 0 or more, so nothing a client sends can overflow (H1).
        guard x >= 0, y >= 0, cropWidth > 0, cropHeight > 0, cropWidth <= width - x, cropHeight <= height - y else {
            throw .invalidParameter(
                operation: "crop",
                message:
                    "the rectangle \(cropWidth)×\(cropHeight) at (\(x), \(y)) is not inside the \(width)×\(height) image"
            )
        }
        if cropWidth == width && cropHeight == height { return self }
        let channels = self.channels
        let sourceRowBytes = rowBytes
        let outputRowBytes = cropWidth * channels
        return PixelBuffer(width: cropWidth, height: cropHeight, layout: layout) { output in
            pixels.withUnsafeBufferPointer { source in
                for row in 0..<cropHeight {
                    (output + row * outputRowBytes).update(
                        from: source.baseAddress! + (y + row) * sourceRowBytes + x * channels, count: outputRowBytes)
                }
            }
        }
    }
}
