import Contracts
import Foundation
import HTTPTypes
import TestImages
import TestServers
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

    @Test(arguments: StoreBackend.allCases)
    func imageJSONCarriesURLsThatLoadWithoutAToken(_ backend: StoreBackend) async throws {
        try await ClusterHarness.run(backend, workers: true) { cluster in
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

/// Share links: an image opened without an account until it expires or is revoked.
@Suite struct ShareLinkTests {
    @Test(arguments: StoreBackend.allCases)
    func aShareLinkOpensTheImageUntilRevoked(_ backend: StoreBackend) async throws {
        try await ClusterHarness.run(backend, workers: true, publicURL: "https://photos.example.org") { cluster in
            let token = try await cluster.user("sharer")
            let upload = try cluster.object(
                try await cluster.upload("/v1/images", file: TestImages.building, token: token))
            let id = try #require(upload["id"] as? String)
            for bad in [0, 59, -1, Int.max, 31_536_001] {
                let refused = try await cluster.json(.post, "/v1/images/\(id)/share", ["expiresIn": bad], token: token)
                #expect(refused.status == .badRequest, "expiresIn \(bad)")
            }
            let wrongType = try await cluster.json(.post, "/v1/images/\(id)/share", ["expiresIn": "soon"], token: token)
            #expect(wrongType.status == .badRequest)
            let made = try await cluster.json(.post, "/v1/images/\(id)/share", ["expiresIn": 3600], token: token)
            #expect(made.status == .ok)
            let share = try cluster.object(made)
            let url = try #require(share["url"] as? String)
            #expect(url.hasPrefix("https://photos.example.org/v1/shared/\(id)/content?u="))
            let path = String(url.dropFirst("https://photos.example.org".count))
            let thumbnailPath = String(
                try #require(share["thumbnailUrl"] as? String).dropFirst("https://photos.example.org".count))
            // No account needed.
            let opened = try await cluster.request(.get, path, token: nil)
            #expect(opened.status == .ok && cluster.bytes(opened) == TestImages.building)
            #expect(try await cluster.request(.get, thumbnailPath, token: nil).status == .ok)
            // Someone else cannot share it, nor revoke it.
            let other = try await cluster.user("other")
            #expect(try await cluster.json(.post, "/v1/images/\(id)/share", [:], token: other).status == .notFound)
            #expect(try await cluster.request(.delete, "/v1/images/\(id)/share", token: other).status == .notFound)
            // A tampered link, or this link on another path, is refused.
            #expect(
                try await cluster.request(
                    .get, path.replacingOccurrences(of: "/content", with: "/thumbnail"), token: nil
                ).status == .unauthorized)
            // The signature is hex: change its last digit to one it is not.
            let tampered = String(path.dropLast()) + (path.hasSuffix("0") ? "1" : "0")
            #expect(try await cluster.request(.get, tampered, token: nil).status == .unauthorized)
            // Revoked: the link stops working; a new share gives a new link, the old stays dead.
            #expect(try await cluster.request(.delete, "/v1/images/\(id)/share", token: token).status == .noContent)
            #expect(try await cluster.request(.get, path, token: nil).status == .notFound)
            let again = try cluster.object(try await cluster.json(.post, "/v1/images/\(id)/share", [:], token: token))
            let newPath = String(try #require(again["url"] as? String).dropFirst("https://photos.example.org".count))
            #expect(newPath != path)
            #expect(try await cluster.request(.get, newPath, token: nil).status == .ok)
            #expect(try await cluster.request(.get, path, token: nil).status == .notFound)
            // Deleting the image ends every link to it.
            #expect(try await cluster.request(.delete, "/v1/images/\(id)", token: token).status == .noContent)
            #expect(try await cluster.request(.get, newPath, token: nil).status == .notFound)
        }
    }
}
