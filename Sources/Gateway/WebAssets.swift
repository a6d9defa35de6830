import Contracts
import Foundation
import Primitives
import Wire

/// The web UI's files (`web/`), read once at start into memory with their type, ETag and gzip form.
/// They are served under `/assets/<version>/…`, where the version is a digest of every file, so each
/// can be cached for a year: a new build has a new version. `index.html` is the app shell, served for
/// every screen's URL with `{{assets}}` replaced by that prefix. Only files found at start exist; a
/// request names a key of this table, never a path on disk, so nothing outside the folder is reachable.
struct WebAssets: Sendable {
    struct Asset: Sendable {
        let bytes: [UInt8]
        let gzipped: [UInt8]?
        let contentType: String
        let etag: String
    }

    let version: String
    let files: [String: Asset]
    let shell: Asset
    /// `openapi.yaml` as written and as JSON, when the folder has it.
    let openAPIYAML: Asset?
    let openAPIJSON: Asset?

    static let types = [
        "html": "text/html; charset=utf-8", "css": "text/css; charset=utf-8",
        "js": "text/javascript; charset=utf-8", "svg": "image/svg+xml", "png": "image/png",
        "ico": "image/x-icon", "json": "application/json", "webmanifest": "application/manifest+json",
        "txt": "text/plain; charset=utf-8", "yaml": "application/yaml; charset=utf-8",
    ]

    /// Reads every file below `folder` (dot files and unknown types left out).
    init(folder: String) throws {
        let root = URL(fileURLWithPath: folder).standardizedFileURL
        guard let enumerator = FileManager.default.enumerator(atPath: root.path) else {
            throw WebAssetsError(message: "no web folder at \(root.path)")
        }
        var raw: [(String, [UInt8])] = []
        for case let relative as String in enumerator {
            let url = root.appendingPathComponent(relative)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue,
                !relative.split(separator: "/").contains(where: { $0.hasPrefix(".") }),
                Self.types[url.pathExtension.lowercased()] != nil
            else { continue }
            raw.append((relative, Array(try Data(contentsOf: url))))
        }
        raw.sort { $0.0 < $1.0 }
        guard let index = raw.first(where: { $0.0 == "index.html" }) else {
            throw WebAssetsError(message: "\(root.path) has no index.html")
        }
        var digest: [UInt8] = []
        for (path, bytes) in raw { digest = Crypto.sha256(digest + Array(path.utf8) + Crypto.sha256(bytes)) }
        version = String(Crypto.hex(digest).prefix(12))
        var files: [String: Asset] = [:]
        for (path, bytes) in raw where path != "index.html" {
            files[path] = Self.asset(bytes, type: Self.types[(path as NSString).pathExtension.lowercased()]!)
        }
        self.files = files
        let html = String(decoding: index.1, as: UTF8.self).replacingOccurrences(
            of: "{{assets}}", with: "/assets/\(version)")
        shell = Self.asset(Array(html.utf8), type: Self.types["html"]!)
        openAPIYAML = files["openapi.yaml"]
        if let yaml = raw.first(where: { $0.0 == "openapi.yaml" }) {
            openAPIJSON = Self.asset(
                try OpenAPIDocument.json(fromYAML: String(decoding: yaml.1, as: UTF8.self)),
                type: "application/json; charset=utf-8")
        } else {
            openAPIJSON = nil
        }
    }

    private static func asset(_ bytes: [UInt8], type: String) -> Asset {
        let compressible = type.hasPrefix("text/") || type.contains("json") || type.contains("svg")
        let gzipped = compressible ? Gzip.compress(bytes).flatMap { $0.count < bytes.count ? $0 : nil } : nil
        return Asset(
            bytes: bytes, gzipped: gzipped, contentType: type,
            etag: "\"\(Crypto.hex(Crypto.sha256(bytes)).prefix(32))\"")
    }

    /// The folder the gateway serves: `CLEARSKY_WEB_DIR`, else `share/clearsky/web` beside the installed
    /// binaries, else the repository's `web/` above a build folder (`.build/release/Gateway`).
    static func defaultFolder(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let folder = environment["CLEARSKY_WEB_DIR"], !folder.isEmpty { return folder }
        let executable = URL(
            fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                ?? CommandLine.arguments[0])
        var folder = executable.deletingLastPathComponent()
        let installed = folder.deletingLastPathComponent().appendingPathComponent("share/clearsky/web")
        if FileManager.default.fileExists(atPath: installed.appendingPathComponent("index.html").path) {
            return installed.path
        }
        for _ in 0..<5 {
            let candidate = folder.appendingPathComponent("web")
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("index.html").path) {
                return candidate.path
            }
            folder = folder.deletingLastPathComponent()
        }
        return nil
    }
}

struct WebAssetsError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
