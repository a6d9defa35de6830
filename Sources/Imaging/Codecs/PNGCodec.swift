import CPNG

/// PNG through libpng: read with the simplified `png_image` API (8-bit gray, gray+alpha, RGB, RGBA; 16-bit
/// reduced to 8), written with its row API, whose compression settings can be chosen.
enum PNGCodec {
    static func header(_ bytes: UnsafeRawBufferPointer) throws(ImagingError) -> ImageHeader {
        let image = try beginRead(bytes)
        defer { release(image) }
        return header(of: image.pointee)
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, options: DecodeOptions) throws(ImagingError) -> PixelBuffer {
        let image = try beginRead(bytes)
        defer { release(image) }
        let header = header(of: image.pointee)
        try options.check(width: header.width, height: header.height, format: .png)
        image.pointee.format = header.layout.pngFormat
        // A 16-bit file without gAMA or sRGB is taken as sRGB-encoded, so reducing it to 8 bits is a plain rescale.
        image.pointee.flags |= UInt32(PNG_IMAGE_FLAG_16BIT_sRGB)
        var failure: ImagingError?
        let decoded = PixelBuffer(width: header.width, height: header.height, layout: header.layout) { pixels in
            if png_image_finish_read(image, nil, pixels, Int32(header.width * header.layout.channels), nil) == 0 {
                failure = error(image.pointee)
                pixels.initialize(repeating: 0, count: header.width * header.height * header.layout.channels)
            }
        }
        if let failure { throw failure }
        return decoded
    }

    /// OpenCV's settings: `fast` (its default) is zlib level 1 with run-length matching and the "sub" row
    /// filter; otherwise zlib level 6 with every filter tried per row (libpng's default).
    /// `capacity` replaces the worst-case size (tests use it to make libpng fail part-way).
    static func encode(_ buffer: PixelBuffer, fast: Bool, capacity: Int? = nil) throws(ImagingError) -> [UInt8] {
        guard buffer.width > 0, buffer.height > 0 else {
            throw .invalidDimensions(width: buffer.width, height: buffer.height)
        }
        // The simplified API's worst case (stored zlib blocks plus chunk overhead) sizes the one buffer.
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(buffer.width)
        image.height = UInt32(buffer.height)
        image.format = buffer.layout.pngFormat
        let capacity = capacity ?? Int(clearsky_png_size_max(&image))
        // Z_RLE is 3; PNG_ALL_FILTERS (0xF8, none to Paeth) is a composite macro Swift does not import.
        let (level, strategy, filters) = fast ? (1, 3, Int(PNG_FILTER_SUB)) : (6, 0, 0xF8)
        var failure: ImagingError?
        let encoded = [UInt8](unsafeUninitializedCapacity: capacity) { output, count in
            var sink = clearsky_png_sink()
            sink.output = output.baseAddress
            sink.capacity = capacity
            let status = buffer.pixels.withUnsafeBufferPointer { pixels in
                clearsky_png_write(
                    &sink, pixels.baseAddress, UInt32(buffer.width), UInt32(buffer.height), Int32(buffer.channels),
                    buffer.rowBytes, Int32(level), Int32(strategy), Int32(filters))
            }
            if status == 0 {
                failure = .encodeFailed(
                    .png,
                    withUnsafeBytes(of: sink.message) { raw in
                        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                    })
                count = 0
            } else {
                count = sink.size
            }
        }
        if let failure { throw failure }
        return encoded
    }

    /// libpng keeps the address of the `png_image` for its error handler, so it lives on the heap, not in
    /// a value that Swift may move.
    private static func beginRead(_ bytes: UnsafeRawBufferPointer) throws(ImagingError) -> UnsafeMutablePointer<
        png_image
    > {
        let image = UnsafeMutablePointer<png_image>.allocate(capacity: 1)
        image.initialize(to: png_image())
        image.pointee.version = UInt32(PNG_IMAGE_VERSION)
        guard png_image_begin_read_from_memory(image, bytes.baseAddress, bytes.count) != 0 else {
            let failure = error(image.pointee)
            release(image)
            throw failure
        }
        return image
    }

    /// Frees libpng's state (a no-op when libpng already did after an error) and the struct.
    private static func release(_ image: UnsafeMutablePointer<png_image>) {
        png_image_free(image)
        image.deinitialize(count: 1)
        image.deallocate()
    }

    private static func header(of image: png_image) -> ImageHeader {
        let color = image.format & UInt32(PNG_FORMAT_FLAG_COLOR) != 0
        let alpha = image.format & UInt32(PNG_FORMAT_FLAG_ALPHA) != 0
        let layout: PixelLayout =
            switch (color, alpha) {
            case (false, false): .gray
            case (false, true): .grayAlpha
            case (true, false): .rgb
            case (true, true): .rgba
            }
        return ImageHeader(
            format: .png, width: Int(image.width), height: Int(image.height), layout: layout, orientation: .up)
    }

    private static func error(_ image: png_image) -> ImagingError {
        let text = message(image)
        let outOfData = text.contains("end of data") || text.contains("Not enough") || text.contains("truncated")
        return outOfData ? .truncated(.png) : .corrupt(.png, text)
    }

    private static func message(_ image: png_image) -> String {
        withUnsafeBytes(of: image.message) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}

extension PixelLayout {
    /// The `PNG_FORMAT_*` value for this layout.
    fileprivate var pngFormat: UInt32 {
        // PNG_FORMAT_GA/RGB/RGBA are composite macros Swift does not import: ALPHA = 1, COLOR = 2.
        switch self {
        case .gray: 0
        case .grayAlpha: PNG_FORMAT_FLAG_ALPHA
        case .rgb: PNG_FORMAT_FLAG_COLOR
        case .rgba: PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA
        }
    }
}
