import Foundation

/// Images for tests that take them in as a user would upload them (licenses in Resources/SOURCES.md).
public enum TestImages {
    /// A 868×600 colour JPEG photo of a building (YOLOv3-tiny: a car and a person).
    public static let building = load("building", "jpg")
    /// A 256×256 gray PNG photo of a man with a camera.
    public static let camera = load("camera", "png")
    /// Where the YOLOv3-tiny files are: `CLEARSKY_MODEL_DIR`, else the checkout's `models/`, where
    /// `make test`'s set-up (scripts/fetch_model.sh) puts them.
    public static var modelFolder: String {
        if let folder = ProcessInfo.processInfo.environment["CLEARSKY_MODEL_DIR"], !folder.isEmpty { return folder }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("models").path
    }
    /// An 800×600 street photo: OpenCV DNN's YOLOv3-tiny finds a car and two persons.
    public static let street = load("scenetext01", "jpg")
    /// A 512×480 photo of fruit: an orange and a donut to YOLOv3-tiny.
    public static let fruits = load("fruits", "jpg")

    private static func load(_ name: String, _ type: String) -> [UInt8] {
        guard let url = Bundle.module.url(forResource: name, withExtension: type, subdirectory: "Resources"),
            let data = try? Data(contentsOf: url)
        else { fatalError("Test image \(name).\(type) is missing from the TestImages bundle") }
        return Array(data)
    }

    /// The JPEG with an EXIF APP1 segment carrying `orientation` inserted after SOI.
    public static func withOrientation(_ orientation: UInt16, _ jpeg: [UInt8], bigEndian: Bool) -> [UInt8] {
        func u16(_ value: UInt16) -> [UInt8] {
            bigEndian ? [UInt8(value >> 8), UInt8(value & 0xFF)] : [UInt8(value & 0xFF), UInt8(value >> 8)]
        }
        func u32(_ value: UInt32) -> [UInt8] {
            bigEndian
                ? u16(UInt16(value >> 16)) + u16(UInt16(value & 0xFFFF))
                : u16(UInt16(value & 0xFFFF)) + u16(UInt16(value >> 16))
        }
        var tiff: [UInt8] = bigEndian ? [0x4D, 0x4D] : [0x49, 0x49]
        tiff += u16(42) + u32(8)
        tiff += u16(1)  // one entry
        tiff += u16(0x0112) + u16(3) + u32(1) + u16(orientation) + u16(0)
        tiff += u32(0)
        let payload = Array("Exif\0\0".utf8) + tiff
        let length = UInt16(payload.count + 2)
        return [0xFF, 0xD8, 0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + payload + jpeg.dropFirst(2)
    }
}
