/// EXIF orientation: how the stored pixels must be turned to display upright.
public enum Orientation: Int, Sendable, Codable {
    case up = 1
    case upMirrored = 2
    case down = 3
    case downMirrored = 4
    case leftMirrored = 5
    case right = 6
    case rightMirrored = 7
    case left = 8

    /// True when the displayed image has width and height swapped.
    public var swapsAxes: Bool { rawValue >= 5 }
}

/// Reads the orientation tag from a JPEG's EXIF (APP1) segment without a full EXIF parser.
enum EXIFReader {
    /// The orientation, `.up` when there is no EXIF or no valid tag. Never throws: bad EXIF is ignored,
    /// as every viewer does.
    static func orientation(jpeg bytes: UnsafeRawBufferPointer) -> Orientation {
        var offset = 2  // after SOI
        while offset + 4 <= bytes.count {
            guard bytes[offset] == 0xFF else { return .up }
            let marker = bytes[offset + 1]
            if marker == 0xFF {  // fill byte
                offset += 1
                continue
            }
            // Start of scan or end of image: no more metadata segments.
            if marker == 0xDA || marker == 0xD9 { return .up }
            let length = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            guard length >= 2, offset + 2 + length <= bytes.count else { return .up }
            if marker == 0xE1 {
                let segment = UnsafeRawBufferPointer(rebasing: bytes[(offset + 4)..<(offset + 2 + length)])
                if let orientation = fromAPP1(segment) { return orientation }
            }
            offset += 2 + length
        }
        return .up
    }

    /// The orientation in an APP1 payload that starts with "Exif\0\0", or nil.
    static func fromAPP1(_ segment: UnsafeRawBufferPointer) -> Orientation? {
        guard segment.count >= 14, segment.starts(with: Array("Exif\0\0".utf8)) else { return nil }
        let tiff = UnsafeRawBufferPointer(rebasing: segment[6...])
        let little: Bool
        switch (tiff[0], tiff[1]) {
        case (0x49, 0x49): little = true
        case (0x4D, 0x4D): little = false
        default: return nil
        }
        func u16(_ at: Int) -> Int? {
            guard at >= 0, at + 2 <= tiff.count else { return nil }
            return little ? Int(tiff[at]) | Int(tiff[at + 1]) << 8 : Int(tiff[at]) << 8 | Int(tiff[at + 1])
        }
        func u32(_ at: Int) -> Int? {
            guard let high = u16(little ? at + 2 : at), let low = u16(little ? at : at + 2) else { return nil }
            return high << 16 | low
        }
        guard u16(2) == 42, let ifd = u32(4), let count = u16(ifd) else { return nil }
        for index in 0..<count {
            let entry = ifd + 2 + index * 12
            guard let tag = u16(entry) else { return nil }
            if tag == 0x0112 {
                guard u16(entry + 2) == 3, let value = u16(entry + 8) else { return nil }
                return Orientation(rawValue: value)
            }
        }
        return nil
    }
}
