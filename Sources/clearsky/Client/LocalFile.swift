import Foundation

/// A file named on the command line: read whole (images are at most tens of MiB), typed by its content.
struct LocalFile {
    let path: String
    let bytes: [UInt8]

    var name: String { (path as NSString).lastPathComponent }

    /// JPEG or PNG by the first bytes; anything else is sent as what its extension says, for the server to refuse.
    var contentType: String {
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return "image/png" }
        return path.lowercased().hasSuffix(".png") ? "image/png" : "image/jpeg"
    }

    static func read(_ path: String) throws -> LocalFile {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw CLIError.usage("\(path): no such file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIError.usage("\(path): cannot read it")
        }
        return LocalFile(path: path, bytes: Array(data))
    }

    static func exists(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    /// Writes `bytes` to `path` (`-` is stdout), through a temporary file so a failure leaves no half file.
    static func write(_ bytes: [UInt8], to path: String) throws {
        if path == "-" {
            FileHandle.standardOutput.write(Data(bytes))
            return
        }
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(
            ".\(url.lastPathComponent).\(getpid()).part")
        do {
            try Data(bytes).write(to: temporary)
            if FileManager.default.fileExists(atPath: url.path) { try FileManager.default.removeItem(at: url) }
            try FileManager.default.moveItem(at: temporary, to: url)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw CLIError.refused("cannot write \(path): \(error.localizedDescription)")
        }
    }
}
