import Contracts
import Foundation
import GRDB
import ServiceRuntime
import TagIndex
import TestImages
import TestServers
import Testing
import Wire
import WireTesting

@testable import TagSvc

@Suite struct TagContractTests {
    @Test(arguments: StoreBackend.allCases)
    func healthReportsServing(_ backend: StoreBackend) async throws {
        try await TagHarness.run(backend) { harness in
            let status = try await harness.tag.call(CommonContract.health, Empty())
            #expect(status.service == "TagSvc")
            #expect(status.state == .serving)
        }
    }

    /// Three photos through the event log: their tags are OpenCV DNN's detections (DetectionTests' truth),
    /// and queries by one and by two tags with counts find them, newest first, page by page.
    @Test(arguments: StoreBackend.allCases)
    func newImagesAreTaggedAndFoundByTags(_ backend: StoreBackend) async throws {
        try await TagHarness.run(backend) { harness in
            let (owner, other) = (TagHarness.owner(), TagHarness.owner())
            try await running([DetectionConsumer(service: harness.service, wait: .milliseconds(200))]) {
                let street = try await harness.put(owner, TestImages.street)
                let building = try await harness.put(owner, TestImages.building)
                let fruits = try await harness.put(owner, TestImages.fruits)
                let theirs = try await harness.put(other, TestImages.street)

                let streetTags = try await harness.tagged(owner, street.id)
                #expect(streetTags.tagging == .done)
                #expect(streetTags.tags.map(\.tag) == ["car", "person"])
                #expect(streetTags.tags.map(\.count) == [1, 2])
                #expect(streetTags.tags.allSatisfy { $0.source == .auto })
                #expect(abs((streetTags.tags[0].confidence ?? 0) - 0.71979) <= 0.01)
                #expect(abs((streetTags.tags[1].confidence ?? 0) - 0.578042) <= 0.01)
                let buildingTags = try await harness.tagged(owner, building.id)
                #expect(buildingTags.tags.map(\.tag) == ["car", "person"])
                #expect(buildingTags.tags.map(\.count) == [1, 1])
                let fruitTags = try await harness.tagged(owner, fruits.id)
                #expect(fruitTags.tags.map(\.tag) == ["donut", "orange"])
                #expect(try await harness.tagged(other, theirs.id).tagging == .done)

                func ids(_ terms: [TagTerm], owner: String = owner, limit: Int = 50) async throws -> [String] {
                    try await harness.tag.call(
                        TagContract.query, TagQueryRequest(owner: owner, terms: terms, page: PageRequest(limit: limit))
                    ).items.map(\.imageId)
                }
                #expect(try await ids([TagTerm(tag: "car")]) == [building.id, street.id])
                #expect(try await ids([TagTerm(tag: "person", count: 2)]) == [street.id])
                #expect(try await ids([TagTerm(tag: "car"), TagTerm(tag: "person")]) == [building.id, street.id])
                #expect(try await ids([TagTerm(tag: "Car"), TagTerm(tag: "person", count: 2)]) == [street.id])
                #expect(try await ids([TagTerm(tag: "orange"), TagTerm(tag: "car")]).isEmpty)
                #expect(try await ids([TagTerm(tag: "zebra")]).isEmpty)
                #expect(try await ids([TagTerm(tag: "person")], owner: other) == [theirs.id])

                // Pages of one, newest first, then the end.
                let first = try await harness.tag.call(
                    TagContract.query,
                    TagQueryRequest(owner: owner, terms: [TagTerm(tag: "car")], page: PageRequest(limit: 1)))
                #expect(first.items.map(\.imageId) == [building.id])
                let second = try await harness.tag.call(
                    TagContract.query,
                    TagQueryRequest(
                        owner: owner, terms: [TagTerm(tag: "car")],
                        page: PageRequest(limit: 1, cursor: first.nextCursor)))
                #expect(second.items.map(\.imageId) == [street.id])
                #expect(second.nextCursor == nil)

                let counts = try await harness.tag.call(TagContract.listTags, OwnerRequest(owner: owner))
                #expect(
                    counts.items == [
                        TagCount(tag: "car", images: 2), TagCount(tag: "person", images: 2),
                        TagCount(tag: "donut", images: 1), TagCount(tag: "orange", images: 1),
                    ])

                // Another user's private image is not theirs to see; unknown ids are pending.
                let seen = try await harness.tag.call(
                    TagContract.tagsOf, TagsOfRequest(caller: other, imageIds: [street.id, "nope", theirs.id]))
                #expect(seen.items.map(\.imageId) == ["nope", theirs.id])
                #expect(seen.items[0].tagging == .pending)
            }
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func badQueriesAreRefused(_ backend: StoreBackend) async throws {
        try await TagHarness.run(backend) { harness in
            let owner = TagHarness.owner()
            for (terms, page) in [
                ([], PageRequest()), ([TagTerm(tag: "car", count: 0)], PageRequest()),
                ([TagTerm(tag: "car;drop")], PageRequest()),
                ([TagTerm(tag: "car"), TagTerm(tag: "CAR")], PageRequest()),
                ([TagTerm(tag: "car")], PageRequest(limit: 0)), ([TagTerm(tag: "car")], PageRequest(cursor: "x")),
                (Array(repeating: TagTerm(tag: "a"), count: 11), PageRequest()),
            ] {
                let request = TagQueryRequest(owner: owner, terms: terms, page: page)
                let code = await wireCode { _ = try await harness.tag.call(TagContract.query, request) }
                #expect(code == .invalidArgument, "\(terms) \(page)")
            }
        }
    }

    /// Queries are answered from postings in memory; a restarted TagSvc reads them back from SQLite.
    @Test(arguments: StoreBackend.allCases)
    func queriesAnswerTheSameAfterARestart(_ backend: StoreBackend) async throws {
        try await TagHarness.run(backend) { harness in
            let owner = TagHarness.owner()
            var ids: [String] = []
            for (sequence, bytes) in [TestImages.street, TestImages.building, TestImages.fruits].enumerated() {
                let image = try await harness.put(owner, bytes)
                try await harness.service.tagImage(owner: owner, id: image.id, sequence: Int64(sequence + 1))
                ids.append(image.id)
            }
            let edit = SetTagsRequest(owner: owner, imageId: ids[2], tags: [TagTerm(tag: "car", count: 2)])
            _ = try await harness.tag.call(TagContract.setTags, edit)
            let restarted = try await harness.restarted()
            for terms in [
                [TagTerm(tag: "car")], [TagTerm(tag: "car", count: 2)], [TagTerm(tag: "person"), TagTerm(tag: "car")],
            ] {
                let request = TagQueryRequest(owner: owner, terms: terms)
                let before = try await harness.service.query(request)
                let after = try await restarted.query(request)
                #expect(before == after)
            }
            #expect(
                try await restarted.query(TagQueryRequest(owner: owner, terms: [TagTerm(tag: "car")])).items.map(
                    \.imageId) == [ids[2], ids[1], ids[0]])
            #expect(
                try await restarted.query(TagQueryRequest(owner: owner, terms: [TagTerm(tag: "orange")])).items.isEmpty)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func aRedeliveredEventChangesNothing(_ backend: StoreBackend) async throws {
        try await TagHarness.run(backend) { harness in
            let owner = TagHarness.owner()
            let street = try await harness.put(owner, TestImages.street)
            try await harness.service.tagImage(owner: owner, id: street.id, sequence: 1)
            let once = try await harness.tagged(owner, street.id)
            try await harness.service.tagImage(owner: owner, id: street.id, sequence: 1)
            #expect(try await harness.tagged(owner, street.id) == once)
            let counts = try await harness.tag.call(TagContract.listTags, OwnerRequest(owner: owner))
            #expect(counts.items.map(\.images) == [1, 1])
        }
    }

    /// A person's tags live beside the detector's: re-tagging keeps them, and a hidden automatic tag
    /// stays hidden. The edit is recorded in StoreSvc's event log.
    @Test(arguments: StoreBackend.allCases)
    func manualTagsSurviveRetagging(_ backend: StoreBackend) async throws {
        try await TagHarness.run(backend) { harness in
            let owner = TagHarness.owner()
            let street = try await harness.put(owner, TestImages.street)
            try await harness.service.tagImage(owner: owner, id: street.id, sequence: 1)
            let request = SetTagsRequest(
                owner: owner, imageId: street.id, tags: [TagTerm(tag: "Person", count: 3), TagTerm(tag: "bicycle")])
            let edited = try await harness.tag.call(TagContract.setTags, request)
            #expect(
                edited.tags == [
                    ImageTag(tag: "bicycle", count: 1, source: .manual),
                    ImageTag(tag: "person", count: 3, source: .manual),
                ])
            try await harness.service.tagImage(owner: owner, id: street.id, sequence: 2)
            #expect(try await harness.tagged(owner, street.id).tags == edited.tags)
            let car = TagQueryRequest(owner: owner, terms: [TagTerm(tag: "car")])
            #expect(try await harness.tag.call(TagContract.query, car).items.isEmpty)

            let events = try await harness.store.call(
                StoreContract.pollEvents, PollEventsRequest(consumer: "test", limit: 10, waitMillis: 0))
            // Each detection and the edit record image.tagsChanged (the owner's event stream shows them).
            #expect(
                events.events.map(\.kind) == [
                    "image.created", "image.tagsChanged", "image.tagsChanged", "image.tagsChanged",
                ])

            // Only the owner edits.
            let theirs = SetTagsRequest(owner: TagHarness.owner(), imageId: street.id, tags: [TagTerm(tag: "dog")])
            #expect(await wireCode { _ = try await harness.tag.call(TagContract.setTags, theirs) } == .notFound)
        }
    }

    /// Bulk edits change every image or none; images TagSvc has not tagged yet can be edited too.
    @Test(arguments: StoreBackend.allCases)
    func bulkEditsAreAllOrNothing(_ backend: StoreBackend) async throws {
        try await TagHarness.run(backend) { harness in
            let (owner, other) = (TagHarness.owner(), TagHarness.owner())
            let street = try await harness.put(owner, TestImages.street)
            let building = try await harness.put(owner, TestImages.building)
            let theirs = try await harness.put(other, TestImages.fruits)
            try await harness.service.tagImage(owner: owner, id: street.id, sequence: 1)

            let mixed = BulkTagsRequest(
                owner: owner, imageIds: [street.id, building.id, theirs.id], add: [TagTerm(tag: "dog", count: 2)],
                remove: ["car"])
            #expect(await wireCode { _ = try await harness.tag.call(TagContract.bulkEdit, mixed) } == .notFound)
            #expect(try await harness.tagged(owner, street.id).tags.map(\.tag) == ["car", "person"])

            let bulk = BulkTagsRequest(
                owner: owner, imageIds: [street.id, building.id], add: [TagTerm(tag: "dog", count: 2)], remove: ["car"])
            let edited = try await harness.tag.call(TagContract.bulkEdit, bulk)
            #expect(edited.items.map(\.imageId) == [street.id, building.id])
            #expect(edited.items[0].tags.map(\.tag) == ["dog", "person"])
            // The building is not tagged yet: the edit stands and detection adds to it later.
            #expect(edited.items[1].tags == [ImageTag(tag: "dog", count: 2, source: .manual)])
            #expect(edited.items[1].tagging == .pending)
            try await harness.service.tagImage(owner: owner, id: building.id, sequence: 2)
            #expect(try await harness.tagged(owner, building.id).tags.map(\.tag) == ["dog", "person"])
            let dogs = TagQueryRequest(owner: owner, terms: [TagTerm(tag: "dog", count: 2)])
            #expect(try await harness.tag.call(TagContract.query, dogs).items.count == 2)

            for bad in [
                BulkTagsRequest(owner: owner, imageIds: [street.id]),
                BulkTagsRequest(owner: owner, imageIds: [], add: [TagTerm(tag: "x")]),
                BulkTagsRequest(owner: owner, imageIds: [street.id, street.id], add: [TagTerm(tag: "x")]),
                BulkTagsRequest(owner: owner, imageIds: [street.id], add: [TagTerm(tag: "x")], remove: ["x"]),
            ] {
                #expect(
                    await wireCode { _ = try await harness.tag.call(TagContract.bulkEdit, bad) } == .invalidArgument)
            }
        }
    }

    /// A replaced image (overwritten under its key) is detected again; a person's tags stay.
    @Test(arguments: StoreBackend.allCases)
    func aReplacedImageIsTaggedAgainKeepingManualTags(_ backend: StoreBackend) async throws {
        try await TagHarness.run(backend) { harness in
            let owner = TagHarness.owner()
            try await running([DetectionConsumer(service: harness.service, wait: .milliseconds(200))]) {
                let first = try await harness.store.call(
                    StoreContract.putImage,
                    PutImageRequest(owner: owner, key: "photo.jpg", filename: "photo.jpg", bytes: TestImages.fruits))
                #expect(try await harness.tagged(owner, first.id).tags.map(\.tag) == ["donut", "orange"])
                let note = BulkTagsRequest(owner: owner, imageIds: [first.id], add: [TagTerm(tag: "lunch")])
                _ = try await harness.tag.call(TagContract.bulkEdit, note)
                let second = try await harness.store.call(
                    StoreContract.putImage,
                    PutImageRequest(
                        owner: owner, key: "photo.jpg", overwrite: true, filename: "photo.jpg", bytes: TestImages.street
                    ))
                #expect(second.id == first.id)
                let retagged = try await eventually {
                    try await harness.tagged(owner, first.id).tags.map(\.tag) == ["car", "lunch", "person"]
                }
                #expect(retagged)
            }
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func recognitionFindsObjectsAndRefusesBadImages(_ backend: StoreBackend) async throws {
        try await TagHarness.run(backend) { harness in
            let found = try await harness.tag.call(TagContract.recognize, RecognizeRequest(bytes: TestImages.building))
            #expect((found.width, found.height) == (868, 600))
            #expect(found.model == "yolov3-tiny")
            #expect(found.detections.map(\.label) == ["car", "person"])
            #expect(found.detections.allSatisfy { $0.width > 0 && $0.height > 0 && $0.x >= -5 && $0.x < 868 })
            let junk = RecognizeRequest(bytes: (0..<500).map { UInt8(truncatingIfNeeded: $0 &* 31) })
            #expect(
                await wireCode { _ = try await harness.tag.call(TagContract.recognize, junk) } == .unsupportedMediaType)
            let truncated = RecognizeRequest(bytes: Array(TestImages.building.prefix(2000)))
            #expect(
                await wireCode { _ = try await harness.tag.call(TagContract.recognize, truncated) } == .invalidImage)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func similarSearchFindsImagesWithEveryDetectedTag(_ backend: StoreBackend) async throws {
        try await TagHarness.run(backend) { harness in
            let owner = TagHarness.owner()
            let street = try await harness.put(owner, TestImages.street)
            let building = try await harness.put(owner, TestImages.building)
            let fruits = try await harness.put(owner, TestImages.fruits)
            for (sequence, image) in [street, building, fruits].enumerated() {
                try await harness.service.tagImage(owner: owner, id: image.id, sequence: Int64(sequence + 1))
            }
            let result = try await harness.tag.call(
                TagContract.similar, SimilarRequest(owner: owner, bytes: TestImages.street))
            #expect(result.tags == [TagTerm(tag: "car"), TagTerm(tag: "person", count: 2)])
            #expect(result.page.items.map(\.imageId) == [building.id, street.id])
            let nothing = try await harness.tag.call(
                TagContract.similar, SimilarRequest(owner: owner, bytes: TestImages.camera))
            #expect(nothing.page.items.isEmpty || !nothing.tags.isEmpty)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func deletedImagesAndOwnersLeaveNoTags(_ backend: StoreBackend) async throws {
        try await TagHarness.run(backend) { harness in
            let owner = TagHarness.owner()
            try await running([DetectionConsumer(service: harness.service, wait: .milliseconds(200))]) {
                let street = try await harness.put(owner, TestImages.street)
                let building = try await harness.put(owner, TestImages.building)
                _ = try await harness.tagged(owner, street.id)
                _ = try await harness.tagged(owner, building.id)
                try await harness.store.call(StoreContract.deleteImage, ImageRequest(owner: owner, id: street.id))
                let car = TagQueryRequest(owner: owner, terms: [TagTerm(tag: "car")])
                #expect(
                    try await eventually {
                        try await harness.tag.call(TagContract.query, car).items.map(\.imageId) == [building.id]
                    })
                let deleted = try await harness.tag.call(TagContract.deleteOwner, OwnerRequest(owner: owner))
                #expect(deleted.count == 1)
                #expect(try await harness.tag.call(TagContract.query, car).items.isEmpty)
                #expect(try await harness.tag.call(TagContract.listTags, OwnerRequest(owner: owner)).items.isEmpty)
            }
        }
    }
}
