/// Builds PNG files byte by byte (stored deflate blocks, real CRCs), so tests can make headers and bit
/// depths that no encoder at hand writes.
public struct PNGBytes {
    public var width: UInt32
    public var height: UInt32
    public var bitDepth: UInt8 = 8
    /// 0 gray, 2 RGB, 4 gray+alpha, 6 RGBA.
    public var colorType: UInt8 = 0
    /// Filtered scanlines (each starting with its filter byte), or nil to write no IDAT at all.
    public var scanlines: [UInt8]? = nil

    public init(width: UInt32, height: UInt32, bitDepth: UInt8 = 8, colorType: UInt8 = 0, scanlines: [UInt8]? = nil) {
        (self.width, self.height, self.bitDepth, self.colorType, self.scanlines) =
            (width, height, bitDepth, colorType, scanlines)
    }

    public var bytes: [UInt8] {
        var file: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var header = [UInt8]()
        header += Self.bigEndian(width) + Self.bigEndian(height)
        header += [bitDepth, colorType, 0, 0, 0]
        file += Self.chunk("IHDR", header)
        if let scanlines { file += Self.chunk("IDAT", Self.zlibStored(scanlines)) }
        file += Self.chunk("IEND", [])
        return file
    }

    public static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typeBytes = Array(type.utf8)
        return bigEndian(UInt32(data.count)) + typeBytes + data + bigEndian(crc32(typeBytes + data))
    }

    public static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    public static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    /// A zlib stream of stored (uncompressed) deflate blocks.
    public static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let length = min(65_535, data.count - offset)
            let final: UInt8 = offset + length == data.count ? 1 : 0
            out += [
                final, UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8((~length >> 8) & 0xFF),
            ]
            out += data[offset..<offset + length]
            offset += length
        } while offset < data.count
        var a: UInt32 = 1
        var b: UInt32 = 0
        for byte in data {
            a = (a + UInt32(byte)) % 65_521
            b = (b + a) % 65_521
        }
        return out + bigEndian(b << 16 | a)
    }
}
