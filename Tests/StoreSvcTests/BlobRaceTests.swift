import Contracts
import Foundation
import Primitives
import TestImages
import TestServers
import Testing
import Tracing
import Wire
import WireTesting

@testable import StoreSvc

/// Rows and blobs stay in step when changes race (review M1, L11) and an expired upload stores nothing
/// (L10): no row without its blob, no blob without a row.
@Suite struct BlobRaceTests {
    /// Every row's blob is on disk, and every blob on disk belongs to a row.
    static func consistent(_ store: StoreHarness, _ owner: String) async throws {
        let rows = try await store.blobsInUse(owner)
        let files = Set(
            store.blobFiles.filter { $0.hasPrefix("\(owner)/") }.map { String($0.split(separator: "/")[2]) })
        #expect(Set(rows) == files, "rows \(rows.count), files \(files.count)")
    }

    @Test(arguments: StoreBackend.allCases)
    func deletingAndUploadingTheSameBytesNeverLosesTheNewBlob(_ backend: StoreBackend) async throws {
        try await StoreHarness.run(backend) { store in
            let owner = StoreHarness.owner()
            // An image is deleted while the same bytes are uploaded again under another key: the delete
            // finds the blob unused and removes it, the upload publishes it; whichever commits first, the
            // new row keeps its bytes.
            for round in 0..<40 {
                let old = try await store.put(owner, TestImages.building, key: "old-\(round)")
                async let deleted = store.call(StoreContract.deleteImage, ImageRequest(owner: owner, id: old.id))
                async let uploaded = store.put(owner, TestImages.building, key: "new-\(round)")
                let (_, new) = try await (deleted, uploaded)
                let content = try await store.call(
                    StoreContract.content, ContentRequest(image: ImageRequest(owner: owner, id: new.id)))
                #expect(Crypto.hex(Crypto.sha256(content.bytes)) == new.sha256, "round \(round)")
                try await store.call(StoreContract.deleteImage, ImageRequest(owner: owner, id: new.id))
            }
            try await Self.consistent(store, owner)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func deletingAnAccountWhileItUploadsKeepsWhatCommitted(_ backend: StoreBackend) async throws {
        try await StoreHarness.run(backend) { store in
            for _ in 0..<15 {
                let owner = StoreHarness.owner()
                _ = try await store.put(owner, TestImages.building, key: "first")
                async let deleted = store.call(StoreContract.deleteOwner, OwnerRequest(owner: owner))
                async let uploaded = try? store.put(owner, TestImages.building, key: "late")
                let (gone, late) = try await (deleted, uploaded)
                if let late {
                    let request = ContentRequest(image: ImageRequest(owner: owner, id: late.id))
                    if gone.count == 1 {
                        // The upload committed after the account's images were listed: its blob must still be there.
                        let content = try await store.call(StoreContract.content, request)
                        #expect(content.bytes == TestImages.building)
                    } else {
                        // It committed before they were listed, and went with the account.
                        #expect(gone.count == 2)
                        #expect(
                            await wireCode { _ = try await store.call(StoreContract.content, request) } == .notFound)
                    }
                }
                try await Self.consistent(store, owner)
            }
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func anUploadPastItsDeadlineStoresNothing(_ backend: StoreBackend) async throws {
        try await StoreHarness.run(backend) { store in
            let owner = StoreHarness.owner()
            var context = ServiceContext.topLevel
            context.wireDeadline = .now - .milliseconds(1)
            let request = PutImageRequest(
                owner: owner, key: "late", filename: "a.jpg", visibility: .private, bytes: TestImages.building)
            let error = await #expect(throws: WireError.self) {
                try await ServiceContext.$current.withValue(context) { try await store.service.putImage(request) }
            }
            #expect(error?.code == .deadlineExceeded)
            // A cancelled caller gets nothing stored either.
            let task = Task { try await store.service.putImage(request) }
            task.cancel()
            await #expect(throws: (any Error).self) { try await task.value }
            let page = try await store.call(StoreContract.listImages, ListImagesRequest(owner: owner))
            #expect(page.items.isEmpty)
            try await Self.consistent(store, owner)
            // The same upload in time is stored.
            _ = try await store.put(owner, TestImages.building, key: "late")
            try await Self.consistent(store, owner)
        }
    }
}
