import Contracts
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import Wire
import WireTesting

@testable import Gateway

/// The web UI's files as the gateway serves them: the shell on every screen's URL with its CSP, assets
/// under their digest with types, year-long caching, ETags, gzip; nothing else.
@Suite struct WebAssetsTests {
    func folder() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("web-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder + "/js/screens", withIntermediateDirectories: true)
        try #"<!doctype html><script type="module" src="{{assets}}/js/main.js"></script>"#.write(
            toFile: folder + "/index.html", atomically: true, encoding: .utf8)
        try String(repeating: "export const x = 1;\n", count: 200).write(
            toFile: folder + "/js/main.js", atomically: true, encoding: .utf8)
        try "body{}".write(toFile: folder + "/app.css", atomically: true, encoding: .utf8)
        try "secret".write(toFile: folder + "/.env", atomically: true, encoding: .utf8)
        try "#!/bin/sh".write(toFile: folder + "/run.sh", atomically: true, encoding: .utf8)
        try "x".write(toFile: folder + "/../outside-\(UUID()).js", atomically: true, encoding: .utf8)
        return folder
    }

    func withWeb(_ body: @escaping @Sendable (WebAssets, any TestClientProtocol) async throws -> Void) async throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let assets = try WebAssets(folder: folder)
        var settings = GatewaySettings()
        settings.web = assets
        let backends = Backends(peers: [:], credentials: .plain(WireHarness.secret))
        let app = Application(router: GatewayApp.router(backends: backends, registry: .init(), settings: settings))
        try await app.test(.router) { client in try await body(assets, client) }
    }

    @Test func theShellAnswersEveryScreenWithAStrictPolicy() async throws {
        try await withWeb { assets, client in
            for path in ["/", "/gallery", "/jobs", "/images/img_1", "/signin", "/public"] {
                let response = try await client.execute(uri: path, method: .get)
                #expect(response.status == .ok, "\(path)")
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                #expect(response.headers[.cacheControl] == "no-cache")
                let policy = response.headers[.contentSecurityPolicy] ?? ""
                for part in ["default-src 'self'", "script-src 'self'", "object-src 'none'", "frame-ancestors 'none'"] {
                    #expect(policy.contains(part))
                }
                #expect(!policy.contains("unsafe-inline"))
                #expect(response.headers[.init("X-Content-Type-Options")!] == "nosniff")
                #expect(String(buffer: response.body).contains("/assets/\(assets.version)/js/main.js"))
            }
            #expect(try await client.execute(uri: "/nowhere", method: .get).status == .notFound)
        }
    }

    @Test func assetsAreTypedCachedForAYearAndGzipped() async throws {
        try await withWeb { assets, client in
            let path = "/assets/\(assets.version)/js/main.js"
            let plain = try await client.execute(uri: path, method: .get)
            #expect(plain.status == .ok && plain.headers[.contentType] == "text/javascript; charset=utf-8")
            #expect(plain.headers[.cacheControl] == "public, max-age=31536000, immutable")
            #expect(plain.headers[.contentEncoding] == nil)
            let etag = try #require(plain.headers[.eTag])
            let zipped = try await client.execute(uri: path, method: .get, headers: [.acceptEncoding: "br, gzip"])
            #expect(zipped.headers[.contentEncoding] == "gzip" && zipped.body.readableBytes < plain.body.readableBytes)
            #expect(Array(zipped.body.readableBytesView.prefix(2)) == [0x1F, 0x8B])
            #expect(zipped.headers[.vary] == "Accept-Encoding")
            let again = try await client.execute(uri: path, method: .get, headers: [.ifNoneMatch: etag])
            #expect(again.status == .notModified && again.body.readableBytes == 0)
            let css = try await client.execute(uri: "/assets/\(assets.version)/app.css", method: .get)
            #expect(css.headers[.contentType] == "text/css; charset=utf-8")
        }
    }

    /// Only the files found at start, under the current digest: no other version, no dot files, no
    /// unknown types, nothing outside the folder however the path is spelled.
    @Test func nothingElseIsReachable() async throws {
        try await withWeb { assets, client in
            let version = assets.version
            for path in [
                "/assets/000000000000/js/main.js", "/assets/\(version)/.env", "/assets/\(version)/run.sh",
                "/assets/\(version)/index.html", "/assets/\(version)/../index.html",
                "/assets/\(version)/..%2F..%2Fetc%2Fpasswd", "/assets/\(version)/%2e%2e/%2e%2e/etc/passwd",
                "/assets/\(version)/js/../../outside.js", "/assets/\(version)/js", "/assets/\(version)/",
                "/assets/\(version)/js/main.js%00.css", "/assets/\(version)//etc/passwd",
            ] {
                let response = try await client.execute(uri: path, method: .get)
                #expect(response.status == .notFound, "\(path)")
            }
        }
    }
}
