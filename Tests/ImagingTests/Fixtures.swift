import Contracts
import Foundation
import Imaging
import Primitives
import Wire

/// The files in Fixtures/ (made by scripts/imaging_fixtures.py from refbench's photos and OpenCV 4.14).
enum Fixture {
    static func url(_ name: String) -> URL {
        Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures")!
    }

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: url(name)))
    }

    static func image(_ name: String) throws -> PixelBuffer {
        try ImageCodec.decode(bytes(name))
    }

    /// expected.json.
    static func expected() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: url("expected.json"))) as! [String: Any]
    }
}

func sha256Hex(_ bytes: [UInt8]) -> String { Crypto.hex(Crypto.sha256(bytes)) }

/// A gray or RGB test image whose pixel values encode their position, so moves are easy to check.
func positionImage(width: Int, height: Int, layout: PixelLayout = .rgb) -> PixelBuffer {
    var image = PixelBuffer(width: width, height: height, layout: layout)
    for y in 0..<height {
        for x in 0..<width {
            for c in 0..<layout.channels {
                image.pixels[(y * width + x) * layout.channels + c] = UInt8(truncatingIfNeeded: x * 7 + y * 13 + c * 50)
            }
        }
    }
    return image
}
