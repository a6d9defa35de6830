import Contracts
import Testing
import Wire

@testable import Gateway

@Suite struct ThumbnailCacheTests {
    func content(owner: String?, visibility: Visibility?, size: Int = 10) -> DerivativeContent {
        DerivativeContent(
            info: DerivativeInfo(
                imageId: "img", kind: .thumbnail, contentType: "image/jpeg", width: 1, height: 1, size: size,
                sha256: "x"),
            bytes: Array(repeating: 1, count: size), imageOwner: owner, visibility: visibility)
    }

    @Test func answersItsOwnerAndPublicImagesOnlyWhileFresh() async throws {
        let cache = ThumbnailCache(capacity: 1 << 20, lifetime: .milliseconds(200))
        cache.store("private", content(owner: "alice", visibility: .private))
        cache.store("public", content(owner: "alice", visibility: .public))
        cache.store("unknown", content(owner: nil, visibility: nil))
        #expect(cache.lookup("private", caller: "alice") != nil)
        #expect(cache.lookup("private", caller: "bob") == nil)
        #expect(cache.lookup("public", caller: "bob") != nil)
        #expect(cache.lookup("unknown", caller: "alice") == nil)
        cache.forget("public")
        #expect(cache.lookup("public", caller: "alice") == nil)
        try await Task.sleep(for: .milliseconds(300))
        #expect(cache.lookup("private", caller: "alice") == nil)
    }

    @Test func staysWithinItsBytes() {
        let cache = ThumbnailCache(capacity: 160, lifetime: .seconds(60))
        for index in 0..<20 { cache.store("i\(index)", content(owner: "a", visibility: .private, size: 10)) }
        let kept = (0..<20).filter { cache.lookup("i\($0)", caller: "a") != nil }.count
        #expect(kept == 16)
        // An entry larger than a sixteenth of the capacity is never kept.
        cache.store("big", content(owner: "a", visibility: .private, size: 11))
        #expect(cache.lookup("big", caller: "a") == nil)
    }
}
