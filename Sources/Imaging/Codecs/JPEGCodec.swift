import CTurboJPEG

/// JPEG through TurboJPEG: header, decode (with 1/2, 1/4, 1/8 scaling), encode.
enum JPEGCodec {
    /// Warnings (a premature end, a corrupt entropy segment) stop the decoder: a half image is an error.
    private static let decodeFlags = TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS

    static func header(_ bytes: UnsafeRawBufferPointer) throws(ImagingError) -> ImageHeader {
        try header(bytes, handle: TurboJPEGHandle(decompress: true)).header
    }

    private static func header(_ bytes: UnsafeRawBufferPointer, handle: TurboJPEGHandle) throws(ImagingError)
        -> (header: ImageHeader, isCMYK: Bool)
    {
        var width: Int32 = 0
        var height: Int32 = 0
        var subsampling: Int32 = 0
        var colorspace: Int32 = 0
        let status = tjDecompressHeader3(
            handle.raw, bytes.bindMemory(to: UInt8.self).baseAddress, UInt(bytes.count),
            &width, &height, &subsampling, &colorspace)
        guard status == 0 else { throw handle.error(ending: bytes) }
        let layout: PixelLayout = colorspace == TJCS_GRAY.rawValue ? .gray : .rgb
        let isCMYK = colorspace == TJCS_CMYK.rawValue || colorspace == TJCS_YCCK.rawValue
        let header = ImageHeader(
            format: .jpeg, width: Int(width), height: Int(height), layout: layout,
            orientation: EXIFReader.orientation(jpeg: bytes))
        return (header, isCMYK)
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, options: DecodeOptions) throws(ImagingError) -> PixelBuffer {
        let handle = try TurboJPEGHandle(decompress: true)
        let (header, isCMYK) = try header(bytes, handle: handle)
        try options.check(width: header.width, height: header.height, format: .jpeg)
        let scale = scaleDenominator(width: header.width, height: header.height, minimum: options.minimumSize)
        let width = (header.width + scale - 1) / scale
        let height = (header.height + scale - 1) / scale
        let pixelFormat = header.layout == .gray ? TJPF_GRAY : (isCMYK ? TJPF_CMYK : TJPF_RGB)
        let decodedChannels = isCMYK ? 4 : header.layout.channels
        var failure: ImagingError?
        let decoded = PixelBuffer(
            width: width, height: height, layout: isCMYK ? .rgba : header.layout
        ) { pixels in
            let status = tjDecompress2(
                handle.raw, bytes.bindMemory(to: UInt8.self).baseAddress, UInt(bytes.count), pixels,
                Int32(width), Int32(width * decodedChannels), Int32(height), pixelFormat.rawValue, decodeFlags)
            if status != 0 {
                failure = handle.error(ending: bytes)
                pixels.initialize(repeating: 0, count: width * height * decodedChannels)
            }
        }
        if let failure { throw failure }
        return isCMYK ? invertedCMYKToRGB(decoded) : decoded
    }

    static func encode(_ image: PixelBuffer, quality: Int) throws(ImagingError) -> [UInt8] {
        guard (1...100).contains(quality) else {
            throw .invalidParameter(operation: "encode", message: "JPEG quality must be 1…100, got \(quality)")
        }
        guard image.width > 0, image.height > 0 else {
            throw .invalidDimensions(width: image.width, height: image.height)
        }
        // JPEG has no alpha: gray+alpha loses its alpha first; RGBA is read as RGBX.
        let source = image.layout == .grayAlpha ? image.droppingAlpha() : image
        let pixelFormat: TJPF =
            switch source.layout {
            case .gray: TJPF_GRAY
            case .rgb: TJPF_RGB
            case .rgba, .grayAlpha: TJPF_RGBX
            }
        let subsampling = source.layout == .gray ? TJSAMP_GRAY : TJSAMP_420
        let handle = try TurboJPEGHandle(decompress: false)
        let capacity = Int(tjBufSize(Int32(source.width), Int32(source.height), Int32(subsampling.rawValue)))
        var failure: ImagingError?
        let encoded = [UInt8](unsafeUninitializedCapacity: capacity) { output, count in
            var destination = output.baseAddress
            var size = UInt(capacity)
            let status = source.pixels.withUnsafeBufferPointer { pixels in
                tjCompress2(
                    handle.raw, pixels.baseAddress, Int32(source.width), Int32(source.rowBytes),
                    Int32(source.height), Int32(pixelFormat.rawValue), &destination, &size, Int32(subsampling.rawValue),
                    Int32(quality), TJFLAG_NOREALLOC)
            }
            if status != 0 {
                failure = .encodeFailed(.jpeg, handle.message)
                count = 0
            } else {
                count = Int(size)
            }
        }
        if let failure { throw failure }
        return encoded
    }

    /// 1, 2, 4 or 8: the largest reduction that keeps both sides at or above the minimum.
    static func scaleDenominator(width: Int, height: Int, minimum: (width: Int, height: Int)?) -> Int {
        guard let minimum else { return 1 }
        for denominator in [8, 4, 2] {
            let scaledWidth = (width + denominator - 1) / denominator
            let scaledHeight = (height + denominator - 1) / denominator
            if scaledWidth >= minimum.width && scaledHeight >= minimum.height { return denominator }
        }
        return 1
    }

    /// Adobe writes CMYK JPEGs inverted; libjpeg hands them back as stored (what OpenCV assumes too).
    private static func invertedCMYKToRGB(_ cmyk: PixelBuffer) -> PixelBuffer {
        PixelBuffer(width: cmyk.width, height: cmyk.height, layout: .rgb) { output in
            cmyk.pixels.withUnsafeBufferPointer { input in
                for index in 0..<cmyk.pixelCount {
                    let k = UInt32(input[index * 4 + 3])
                    for channel in 0..<3 {
                        output[index * 3 + channel] = UInt8((UInt32(input[index * 4 + channel]) * k + 127) / 255)
                    }
                }
            }
        }
    }
}

/// One TurboJPEG instance, destroyed with its owner.
private final class TurboJPEGHandle {
    let raw: tjhandle

    init(decompress: Bool) throws(ImagingError) {
        guard let raw = decompress ? tjInitDecompress() : tjInitCompress() else {
            throw .corrupt(.jpeg, "TurboJPEG could not be initialised")
        }
        self.raw = raw
    }

    deinit { tjDestroy(raw) }

    var message: String { String(cString: tjGetErrorStr2(raw)) }

    /// The error for a failed call: truncated when libjpeg ran out of data, corrupt otherwise.
    func error(ending bytes: UnsafeRawBufferPointer) -> ImagingError {
        let message = self.message
        let outOfData =
            message.contains("Premature end") || message.contains("insufficient")
            || message.contains("not a JPEG") && bytes.count < 4
        if outOfData { return .truncated(.jpeg) }
        // A header cut short reads as a marker error; an image without its end-of-image marker is truncated.
        let endsWithEOI = bytes.count >= 2 && bytes[bytes.count - 2] == 0xFF && bytes[bytes.count - 1] == 0xD9
        if !endsWithEOI && (message.contains("marker") || message.contains("JPEG datastream")) {
            return .truncated(.jpeg)
        }
        return .corrupt(.jpeg, message)
    }
}
