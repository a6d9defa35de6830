import Contracts
import Foundation
import Primitives
import ServiceRuntime
import TestImages
import TestServers
import Testing
import Wire
import WireTesting

@testable import StoreSvc

@Suite struct StoreContractTests {
    @Test(arguments: StoreBackend.allCases)
    func healthReportsServing(_ backend: StoreBackend) async throws {
        try await StoreHarness.run(backend) { store in
            let status = try await store.call(CommonContract.health, Empty())
            #expect(status.service == "StoreSvc")
            #expect(status.state == .serving)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func uploadsAreStoredReadAndRanged(_ backend: StoreBackend) async throws {
        try await StoreHarness.run(backend) { store in
            let owner = StoreHarness.owner()
            let image = try await store.put(owner, TestImages.building)
            #expect(image.width == 868 && image.height == 600)
            #expect(image.contentType == "image/jpeg" && image.size == TestImages.building.count)
            #expect(image.sha256 == Crypto.hex(Crypto.sha256(TestImages.building)))
            #expect(image.key == "\(image.id).jpg" && image.visibility == .private && image.filename == "photo.jpg")
            let again = try await store.call(StoreContract.getImage, ImageRequest(owner: owner, id: image.id))
            #expect(again == image)
            let whole = try await store.call(
                StoreContract.content, ContentRequest(image: .init(owner: owner, id: image.id)))
            #expect(whole.bytes == TestImages.building)
            let part = try await store.call(
                StoreContract.content, ContentRequest(image: .init(owner: owner, id: image.id), offset: 100, length: 50)
            )
            #expect(part.bytes == Array(TestImages.building[100..<150]) && part.offset == 100)
            let png = try await store.put(owner, TestImages.camera)
            #expect(png.contentType == "image/png" && png.width == 256 && png.key.hasSuffix(".png"))
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func keysAreValidatedUniqueAndOverwritable(_ backend: StoreBackend) async throws {
        try await StoreHarness.run(backend) { store in
            let owner = StoreHarness.owner()
            let first = try await store.put(owner, TestImages.building, key: "albums/2026/beach.jpg")
            let found = try await store.call(
                StoreContract.imageByKey, KeyRequest(owner: owner, key: "albums/2026/beach.jpg"))
            #expect(found.id == first.id)
            let taken = await wireCode {
                _ = try await store.put(owner, TestImages.camera, key: "albums/2026/beach.jpg")
            }
            #expect(taken == .keyExists)
            let replaced = try await store.call(
                StoreContract.putImage,
                PutImageRequest(
                    owner: owner, key: "albums/2026/beach.jpg", overwrite: true, filename: "b.png",
                    bytes: TestImages.camera))
            #expect(replaced.id == first.id && replaced.contentType == "image/png")
            // The replaced content's blob is gone; one blob is left.
            #expect(store.blobFiles.count == 1)
            for bad in [
                "../etc/passwd", "a/../b", "/abs", "trailing/", "a//b", "nul\u{0}byte", "tab\tkey", "", "back\\slash",
                String(repeating: "k", count: 600), " padded",
            ] {
                let code = await wireCode { _ = try await store.put(owner, TestImages.building, key: bad) }
                #expect(code == .invalidArgument, "key \(bad.debugDescription)")
            }
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func sameBytesShareOneBlobUntilTheLastImageGoes(_ backend: StoreBackend) async throws {
        try await StoreHarness.run(backend) { store in
            let owner = StoreHarness.owner()
            let a = try await store.put(owner, TestImages.building, key: "a.jpg")
            let b = try await store.put(owner, TestImages.building, key: "b.jpg")
            #expect(a.sha256 == b.sha256 && a.id != b.id)
            #expect(store.blobFiles.count == 1)
            try await store.call(StoreContract.deleteImage, ImageRequest(owner: owner, id: a.id))
            #expect(store.blobFiles.count == 1)
            let stillThere = try await store.call(
                StoreContract.content, ContentRequest(image: .init(owner: owner, id: b.id)))
            #expect(stillThere.bytes == TestImages.building)
            try await store.call(StoreContract.deleteImage, ImageRequest(owner: owner, id: b.id))
            #expect(store.blobFiles.isEmpty)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func badUploadsAreRefusedWithTheirCode(_ backend: StoreBackend) async throws {
        var settings = StoreSettings()
        settings.maxImageBytes = 200_000
        try await StoreHarness.run(backend, settings: settings) { store in
            let owner = StoreHarness.owner()
            let cases: [([UInt8], WireError.Code)] = [
                ([], .invalidArgument),
                (Array("hello, not an image".utf8), .unsupportedMediaType),
                (Array(TestImages.building.prefix(TestImages.building.count / 2)), .invalidImage),
                (PNGBytes(width: 100_000, height: 100_000, scanlines: [0, 0]).bytes, .invalidImage),
                (Array(repeating: 0xFF, count: 200_001), .payloadTooLarge),
            ]
            for (bytes, expected) in cases {
                let code = await wireCode { _ = try await store.put(owner, bytes) }
                #expect(code == expected, "\(bytes.count) bytes")
            }
            #expect(store.blobFiles.isEmpty)
            let page = try await store.call(StoreContract.listImages, ListImagesRequest(owner: owner))
            #expect(page.items.isEmpty)
            #expect(await wireCode { _ = try await store.put("../escape", TestImages.building) } == .invalidArgument)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func ownersSeeOnlyTheirOwnAndPublicImages(_ backend: StoreBackend) async throws {
        try await StoreHarness.run(backend) { store in
            let (alice, bob) = (StoreHarness.owner(), StoreHarness.owner())
            let secret = try await store.put(alice, TestImages.building, key: "secret.jpg")
            let shared = try await store.put(alice, TestImages.camera, key: "shared.png", visibility: .public)
            let asBob = ImageRequest(owner: bob, id: secret.id)
            #expect(await wireCode { _ = try await store.call(StoreContract.getImage, asBob) } == .notFound)
            #expect(
                await wireCode { _ = try await store.call(StoreContract.content, ContentRequest(image: asBob)) }
                    == .notFound)
            #expect(await wireCode { _ = try await store.call(StoreContract.deleteImage, asBob) } == .notFound)
            #expect(
                await wireCode {
                    _ = try await store.call(StoreContract.imageByKey, KeyRequest(owner: bob, key: "secret.jpg"))
                } == .notFound)
            #expect(
                await wireCode {
                    _ = try await store.call(
                        StoreContract.putDerivative,
                        PutDerivativeRequest(
                            image: asBob, kind: .thumbnail, contentType: "image/jpeg", width: 1, height: 1, bytes: [1]))
                } == .notFound)
            // A public image can be read by anyone, changed by its owner only.
            let seen = try await store.call(StoreContract.getImage, ImageRequest(owner: bob, id: shared.id))
            #expect(seen.id == shared.id)
            #expect(
                await wireCode {
                    try await store.call(StoreContract.deleteImage, ImageRequest(owner: bob, id: shared.id))
                } == .notFound)
            let gallery = try await store.call(StoreContract.gallery, PageRequest())
            #expect(gallery.items.map(\.id) == [shared.id])
            let bobs = try await store.call(StoreContract.listImages, ListImagesRequest(owner: bob))
            #expect(bobs.items.isEmpty)
        }
    }

    /// Many images by id, in the order asked: the caller's own and public ones; others are left out.
    @Test(arguments: StoreBackend.allCases)
    func imagesByIdKeepOrderAndVisibility(_ backend: StoreBackend) async throws {
        try await StoreHarness.run(backend) { store in
            let (alice, bob) = (StoreHarness.owner(), StoreHarness.owner())
            let secret = try await store.put(alice, TestImages.building)
            let shared = try await store.put(alice, TestImages.camera, visibility: .public)
            let own = try await store.put(bob, TestImages.camera)
            let asked = ImagesRequest(caller: bob, ids: [own.id, secret.id, "nope", shared.id])
            #expect(try await store.call(StoreContract.images, asked).items.map(\.id) == [own.id, shared.id])
            let all = ImagesRequest(caller: alice, ids: [shared.id, secret.id])
            #expect(try await store.call(StoreContract.images, all).items.map(\.id) == [shared.id, secret.id])
            let tooMany = ImagesRequest(caller: bob, ids: Array(repeating: own.id, count: 501))
            #expect(await wireCode { _ = try await store.call(StoreContract.images, tooMany) } == .invalidArgument)
        }
    }

    /// TagSvc records a person's tag edit in the log, for the image's owner only.
    @Test(arguments: StoreBackend.allCases)
    func tagChangesAreRecordedForTheOwnerOnly(_ backend: StoreBackend) async throws {
        try await StoreHarness.run(backend) { store in
            let (alice, bob) = (StoreHarness.owner(), StoreHarness.owner())
            let image = try await store.put(alice, TestImages.building, visibility: .public)
            try await store.call(StoreContract.recordTagsChanged, ImagesRequest(caller: alice, ids: [image.id]))
            let theirs = ImagesRequest(caller: bob, ids: [image.id])
            #expect(await wireCode { try await store.call(StoreContract.recordTagsChanged, theirs) } == .notFound)
            // A batch with one image that is not the caller's records nothing.
            let own = try await store.put(bob, TestImages.camera)
            let mixed = ImagesRequest(caller: bob, ids: [own.id, image.id])
            #expect(await wireCode { try await store.call(StoreContract.recordTagsChanged, mixed) } == .notFound)
            let log = try await store.call(
                StoreContract.pollEvents, PollEventsRequest(consumer: "test", limit: 10, waitMillis: 0))
            #expect(log.events.map(\.kind) == ["image.created", "image.tagsChanged", "image.created"])
            #expect(log.events[1].owner == alice)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func listsPageNewestFirst(_ backend: StoreBackend) async throws {
        try await StoreHarness.run(backend) { store in
            let owner = StoreHarness.owner()
            var ids: [String] = []
            for index in 0..<5 { ids.append(try await store.put(owner, TestImages.camera, key: "k\(index)").id) }
            var seen: [String] = []
            var cursor: String?
            repeat {
                let page = try await store.call(
                    StoreContract.listImages,
                    ListImagesRequest(owner: owner, page: PageRequest(limit: 2, cursor: cursor)))
                #expect(page.items.count <= 2)
                seen += page.items.map(\.id)
                cursor = page.nextCursor
            } while cursor != nil
            #expect(seen == ids.reversed())
            let bad = await wireCode {
                _ = try await store.call(
                    StoreContract.listImages, ListImagesRequest(owner: owner, page: PageRequest(limit: 2, cursor: "x")))
            }
            #expect(bad == .invalidArgument)
            let tooMany = await wireCode {
                _ = try await store.call(
                    StoreContract.listImages, ListImagesRequest(owner: owner, page: PageRequest(limit: 0)))
            }
            #expect(tooMany == .invalidArgument)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func derivativesBelongToTheirImage(_ backend: StoreBackend) async throws {
        try await StoreHarness.run(backend) { store in
            let owner = StoreHarness.owner()
            let image = try await store.put(owner, TestImages.building)
            let wanted = DerivativeRequest(image: .init(owner: owner, id: image.id), kind: .thumbnail)
            #expect(await wireCode { _ = try await store.call(StoreContract.derivative, wanted) } == .notFound)
            let thumb = try await store.call(
                StoreContract.putDerivative,
                PutDerivativeRequest(
                    image: wanted.image, kind: .thumbnail, contentType: "image/png", width: 256, height: 256,
                    bytes: TestImages.camera))
            #expect(thumb.size == TestImages.camera.count)
            let read = try await store.call(StoreContract.derivative, wanted)
            #expect(read.bytes == TestImages.camera && read.info.width == 256)
            #expect(store.blobFiles.count == 2)
            // A replaced derivative is read anew (the in-memory index forgets the old one).
            let small = Array(TestImages.building.prefix(100))
            _ = try await store.call(
                StoreContract.putDerivative,
                PutDerivativeRequest(
                    image: wanted.image, kind: .thumbnail, contentType: "image/jpeg", width: 1, height: 1, bytes: small)
            )
            let replaced = try await store.call(StoreContract.derivative, wanted)
            #expect(replaced.bytes == small && replaced.info.width == 1)
            let asStranger = DerivativeRequest(
                image: .init(owner: StoreHarness.owner(), id: image.id), kind: .thumbnail)
            #expect(await wireCode { _ = try await store.call(StoreContract.derivative, asStranger) } == .notFound)
            try await store.call(StoreContract.deleteImage, wanted.image)
            #expect(store.blobFiles.isEmpty)
            #expect(await wireCode { _ = try await store.call(StoreContract.derivative, wanted) } == .notFound)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func thumbnailURLsLeadBackToTheirImage(_ backend: StoreBackend) async throws {
        try await StoreHarness.run(backend) { store in
            let owner = StoreHarness.owner()
            let image = try await store.put(owner, TestImages.building)
            for url in [
                ImageURLs.thumbnail(image.id), "https://photos.example/v1/images/\(image.id)/thumbnail?size=256",
            ] {
                let found = try await store.call(
                    StoreContract.imageByThumbnail, ThumbnailURLRequest(owner: owner, url: url))
                #expect(found.id == image.id)
            }
            let bad = await wireCode {
                _ = try await store.call(
                    StoreContract.imageByThumbnail, ThumbnailURLRequest(owner: owner, url: "/v1/images/x/content"))
            }
            #expect(bad == .invalidArgument)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func theCacheCountsHitsAndMisses(_ backend: StoreBackend) async throws {
        try await StoreHarness.run(backend) { store in
            let owner = StoreHarness.owner()
            let image = try await store.put(owner, TestImages.building)
            let request = ContentRequest(image: .init(owner: owner, id: image.id))
            _ = try await store.call(StoreContract.content, request)
            _ = try await store.call(StoreContract.content, request)
            _ = try await store.call(StoreContract.content, request)
            let stats = try await store.call(StoreContract.cacheStats, Empty())
            #expect(stats.misses == 1 && stats.hits == 2)
            #expect(stats.bytes == TestImages.building.count && stats.entries == 1)
            #expect(stats.capacity == 256 * 1024 * 1024)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func deletingAnOwnerRemovesAllOfItAndNothingElse(_ backend: StoreBackend) async throws {
        try await StoreHarness.run(backend) { store in
            let (alice, bob) = (StoreHarness.owner(), StoreHarness.owner())
            _ = try await store.put(alice, TestImages.building)
            _ = try await store.put(alice, TestImages.camera)
            let kept = try await store.put(bob, TestImages.building)
            let deleted = try await store.call(StoreContract.deleteOwner, OwnerRequest(owner: alice))
            #expect(deleted.count == 2)
            #expect(try await store.call(StoreContract.listImages, ListImagesRequest(owner: alice)).items.isEmpty)
            #expect(store.blobFiles.count == 1)
            let bobs = try await store.call(
                StoreContract.content, ContentRequest(image: .init(owner: bob, id: kept.id)))
            #expect(bobs.bytes == TestImages.building)
        }
    }
}
