import Contracts
import Foundation
import Imaging
import TestImages
import Testing
import Wire
import WireTesting

@testable import ProcessSvc

@Suite struct ProcessContractTests {
    @Test func healthReportsServing() async throws {
        try await ProcessHarness.run { harness in
            let status = try await harness.process.call(CommonContract.health, Empty())
            #expect(status.service == "ProcessSvc" && status.state == .serving)
        }
    }

    /// The building photo at a quarter of its size (217×150): the test checks the service, not the speed of a
    /// debug build.
    static let small = try! ImageCodec.encode(
        ImageCodec.decode(TestImages.building).resampled(width: 217, height: 150, filter: .area), as: .jpeg)

    static let sizes: [(ops: String, width: Int, height: Int)] = [
        (#"[{"op":"resize","width":100,"height":100}]"#, 100, 69),
        (#"[{"op":"resize","width":100,"height":100,"fit":"fill","filter":"lanczos3"}]"#, 100, 100),
        (#"[{"op":"sharpen","sigma":1.5,"amount":1}]"#, 217, 150),
        (#"[{"op":"threshold","method":"otsu"}]"#, 217, 150),
        (#"[{"op":"color","mode":"sepia"}]"#, 217, 150),
        (#"[{"op":"blur","sigma":2,"kind":"median"}]"#, 217, 150),
        (#"[{"op":"rotate","degrees":90}]"#, 150, 217),
        // 217·cos 30° + 150·sin 30° = 262.9 and 217·sin 30° + 150·cos 30° = 238.4, rounded up to hold every corner.
        (#"[{"op":"rotate","degrees":30,"expand":true}]"#, 263, 239),
        (#"[{"op":"flip","axis":"horizontal"}]"#, 217, 150),
        (#"[{"op":"crop","x":10,"y":20,"width":50,"height":40}]"#, 50, 40),
        (#"[{"op":"autorotate"},{"op":"resize","width":100},{"op":"dehaze"}]"#, 100, 69),
    ]

    /// One cluster for every case: eleven at once would only measure how two cores share out handshakes.
    @Test func eachOperationGivesTheExpectedSize() async throws {
        try await ProcessHarness.run { harness in
            let owner = ProcessHarness.owner()
            let image = try await harness.put(owner, Self.small)
            for (ops, width, height) in Self.sizes {
                let result = try await harness.process.call(
                    ProcessContract.process,
                    ProcessRequest(
                        owner: owner, imageId: image.id, operations: try ImageOperation.parseList(Array(ops.utf8)),
                        format: "png"))
                #expect(result.contentType == "image/png" && result.image == nil)
                let decoded = try ImageCodec.decode(result.bytes)
                #expect((decoded.width, decoded.height) == (width, height), "\(ops)")
                #expect((result.width, result.height) == (width, height))
            }
        }
    }

    @Test func resultsCanBeSaved() async throws {
        try await ProcessHarness.run { harness in
            let owner = ProcessHarness.owner()
            let source = try await harness.put(owner, TestImages.building, filename: "building.jpg")
            let saved = try await harness.process.call(
                ProcessContract.process,
                ProcessRequest(
                    owner: owner, imageId: source.id, operations: [.color(.gray)], save: true,
                    key: "gray/building.jpg"))
            let image = try #require(saved.image)
            #expect(saved.bytes.isEmpty)
            #expect(image.derivedFrom == source.id && image.key == "gray/building.jpg")
            #expect(image.filename == "building-processed.jpg" && image.width == 868)
            let fromUpload = try await harness.process.call(
                ProcessContract.process,
                ProcessRequest(
                    owner: owner, upload: TestImages.camera, filename: "camera.png",
                    operations: [.flip(.vertical)], save: true))
            #expect(fromUpload.image?.contentType == "image/png" && fromUpload.image?.derivedFrom == nil)
        }
    }

    @Test func badRequestsGetClearErrors() async throws {
        try await ProcessHarness.run { harness in
            let (owner, stranger) = (ProcessHarness.owner(), ProcessHarness.owner())
            let image = try await harness.put(owner, TestImages.building)
            func code(_ request: ProcessRequest) async -> WireError.Code? {
                await wireCode { _ = try await harness.process.call(ProcessContract.process, request) }
            }
            // Typed operations cannot name an unknown one; out-of-range values and overlong lists a peer can
            // still send, and they do not pass.
            let tooMany = [ImageOperation](repeating: .flip(.both), count: 33)
            #expect(
                await code(ProcessRequest(owner: owner, imageId: image.id, operations: tooMany)) == .invalidArgument)
            #expect(
                await code(
                    ProcessRequest(
                        owner: owner, imageId: image.id,
                        operations: [.rotate(degrees: .nan, expand: true, background: nil)])) == .invalidArgument)
            #expect(
                await code(
                    ProcessRequest(owner: owner, imageId: image.id, operations: [.blur(sigma: -1, kind: .gaussian)]))
                    == .invalidArgument)
            #expect(await code(ProcessRequest(owner: owner, operations: [])) == .invalidArgument)
            #expect(await code(ProcessRequest(owner: stranger, imageId: image.id, operations: [])) == .notFound)
            #expect(
                await code(
                    ProcessRequest(owner: owner, upload: Array(TestImages.building.prefix(5000)), operations: []))
                    == .invalidImage)
            #expect(
                await code(ProcessRequest(owner: owner, upload: Array("text".utf8), operations: []))
                    == .unsupportedMediaType)
            #expect(
                await code(
                    ProcessRequest(
                        owner: owner, imageId: image.id,
                        operations: [.crop(x: 800, y: 0, width: 500, height: 10)]))
                    == .invalidArgument)
            #expect(
                await code(ProcessRequest(owner: owner, imageId: image.id, operations: [], format: "gif"))
                    == .invalidArgument)
        }
    }

    @Test func thumbnailsAreMadeOnceOnDemandAndUpright() async throws {
        try await ProcessHarness.run { harness in
            let owner = ProcessHarness.owner()
            let image = try await harness.put(owner, TestImages.building)
            let request = ImageRequest(owner: owner, id: image.id)
            let thumbnails = try await withThrowingTaskGroup(of: DerivativeContent.self) { group in
                for _ in 0..<4 { group.addTask { try await harness.process.call(ProcessContract.thumbnail, request) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(thumbnails.map(\.info.sha256)).count == 1)
            let decoded = try ImageCodec.decode(thumbnails[0].bytes)
            #expect(ImageFormat.sniff(thumbnails[0].bytes) == .jpeg)
            #expect((decoded.width, decoded.height) == (256, 177))
            // EXIF orientation 6 (rotate 90° clockwise to view): the thumbnail comes out portrait.
            let rotated = try await harness.put(
                owner, TestImages.withOrientation(6, TestImages.building, bigEndian: true), filename: "phone.jpg")
            #expect(rotated.width == 600 && rotated.height == 868)
            let portrait = try await harness.process.call(
                ProcessContract.thumbnail, ImageRequest(owner: owner, id: rotated.id))
            #expect((portrait.info.width, portrait.info.height) == (177, 256))
            let stranger = await wireCode {
                _ = try await harness.process.call(
                    ProcessContract.thumbnail, ImageRequest(owner: ProcessHarness.owner(), id: image.id))
            }
            #expect(stranger == .notFound)
        }
    }

    @Test func newImagesGetThumbnailsFromTheEventLog() async throws {
        try await ProcessHarness.run { harness in
            let owner = ProcessHarness.owner()
            try await running([ThumbnailConsumer(service: harness.service, wait: .milliseconds(200))]) {
                let image = try await harness.put(owner, TestImages.camera, filename: "camera.png")
                let wanted = DerivativeRequest(image: .init(owner: owner, id: image.id), kind: .thumbnail)
                let deadline = ContinuousClock.now + .seconds(20)
                var made: DerivativeContent?
                while made == nil, ContinuousClock.now < deadline {
                    made = try? await harness.store.call(StoreContract.derivative, wanted)
                    if made == nil { try await Task.sleep(for: .milliseconds(50)) }
                }
                #expect(made?.info.width == 256 && made?.info.contentType == "image/jpeg")
            }
        }
    }
}
