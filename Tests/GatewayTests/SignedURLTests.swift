import Foundation
import HTTPTypes
import TestImages
import Testing
import Wire

@testable import Gateway

/// Signed content and thumbnail URLs: what `<img>` loads without a token.
@Suite struct SignedURLTests {
    let signer = URLSigner(secret: ClusterSecret(bytes: Array(repeating: 3, count: 32)))
    let now: Int64 = 1_800_000_000

    private func query(_ url: String) -> (path: String, query: [String: String]) {
        let parts = url.split(separator: "?", maxSplits: 1)
        var query: [String: String] = [:]
        for pair in (parts.count > 1 ? parts[1] : "").split(separator: "&") {
            let item = pair.split(separator: "=", maxSplits: 1)
            query[String(item[0])] = item.count > 1 ? String(item[1]) : ""
        }
        return (String(parts[0]), query)
    }

    @Test func aSignedURLOpensOnlyItsPathForItsUserUntilItExpires() throws {
        let url = signer.sign("/v1/images/img_a/thumbnail", for: "alice", now: now)
        let (path, fields) = query(url)
        #expect(try signer.subject(path: path, query: fields, now: now) == "alice")
        // Expiry is rounded to a window, so URLs issued minutes apart are the same (the cache keeps them).
        #expect(signer.sign("/v1/images/img_a/thumbnail", for: "alice", now: now + 60) == url)
        let expires = try #require(fields["exp"].flatMap { Int64($0) })
        #expect(expires - now >= signer.window && expires - now <= 2 * signer.window)
        #expect(throws: APIError.self) { try signer.subject(path: path, query: fields, now: expires) }
        // Another image, another user, an edited signature or expiry: refused.
        #expect(throws: APIError.self) {
            try signer.subject(path: "/v1/images/img_b/thumbnail", query: fields, now: now)
        }
        var other = fields
        other["u"] = "mallory"
        #expect(throws: APIError.self) { try signer.subject(path: path, query: other, now: now) }
        var later = fields
        later["exp"] = String(expires + 86_400)
        #expect(throws: APIError.self) { try signer.subject(path: path, query: later, now: now) }
        var tampered = fields
        tampered["sig"] = String(fields["sig"]!.dropLast()) + (fields["sig"]!.hasSuffix("0") ? "1" : "0")
        #expect(throws: APIError.self) { try signer.subject(path: path, query: tampered, now: now) }
        for bad in [
            ["sig": "x"], ["u": "alice"], ["exp": "+1", "u": "a", "sig": "x"],
            ["exp": "9" + String(repeating: "9", count: 30), "u": "a", "sig": "x"],
        ] {
            #expect(throws: APIError.self) { try signer.subject(path: path, query: bad, now: now) }
        }
        // No signature at all: the caller falls back to the bearer token.
        #expect(try signer.subject(path: path, query: [:], now: now) == nil)
        // Another cluster's key does not verify it.
        let stranger = URLSigner(secret: ClusterSecret(bytes: Array(repeating: 4, count: 32)))
        #expect(throws: APIError.self) { try stranger.subject(path: path, query: fields, now: now) }
    }

    @Test func imageJSONCarriesURLsThatLoadWithoutAToken() async throws {
        try await ClusterHarness.run(workers: true) { cluster in
            let token = try await cluster.user("signy")
            let upload = try cluster.object(
                try await cluster.upload("/v1/images", file: TestImages.building, token: token))
            let content = try #require(upload["url"] as? String)
            let thumbnail = try #require(upload["thumbnailUrl"] as? String)
            let bytes = try await cluster.request(.get, content, token: nil)
            #expect(bytes.status == .ok && cluster.bytes(bytes) == TestImages.building)
            let small = try await cluster.request(.get, thumbnail, token: nil)
            #expect(small.status == .ok && small.headers[.contentType] == "image/jpeg")
            // The same URL with the path changed to another image, or the signature cut: 401.
            let id = try #require(upload["id"] as? String)
            let other = try cluster.object(
                try await cluster.upload("/v1/images", file: TestImages.camera, filename: "c.png", token: token))
            let otherId = try #require(other["id"] as? String)
            let moved = content.replacingOccurrences(of: id, with: otherId)
            #expect(try await cluster.request(.get, moved, token: nil).status == .unauthorized)
            let cut = String(content.dropLast(2))
            #expect(try await cluster.request(.get, cut, token: nil).status == .unauthorized)
            // Another user's signed URL opens nothing of theirs it was not issued for.
            let mallory = try await cluster.user("mallory")
            let theirs = try cluster.object(
                try await cluster.upload("/v1/images", file: TestImages.camera, filename: "m.png", token: mallory))
            let theirURL = try #require(theirs["url"] as? String)
            let swapped = theirURL.replacingOccurrences(
                of: try #require(theirs["id"] as? String), with: id)
            #expect(try await cluster.request(.get, swapped, token: nil).status == .unauthorized)
        }
    }
}
