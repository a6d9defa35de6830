import Contracts
import Foundation
import Hummingbird
import HummingbirdTesting
import Imaging
import TestImages
import TestServers
import Testing
import Wire

@testable import Gateway

/// Images, processing and jobs through HTTP: the gateway in front of real StoreSvc and ProcessSvc.
@Suite struct ImageJourneyTests {
    @Test(arguments: StoreBackend.allCases)
    func uploadBrowseFetchProcessAndDelete(_ backend: StoreBackend) async throws {
        try await ClusterHarness.run(backend) { cluster in
            let token = try await cluster.user("alice")
            let jpeg = try await cluster.upload(
                "/v1/images", file: TestImages.building, filename: "building.jpg", fields: ["key": "trip/building.jpg"],
                token: token)
            #expect(jpeg.status == .created)
            let image = try cluster.decode(API.Image.self, jpeg)
            let id = image.id
            #expect(image.width == 868 && image.height == 600 && image.size == TestImages.building.count)
            #expect(image.key == "trip/building.jpg" && image.filename == "building.jpg")
            #expect(image.url.hasPrefix("/v1/images/\(id)/content?u="))
            #expect(image.visibility == "private" && image.tagging == "pending" && image.tags.isEmpty)
            let png = try await cluster.request(
                .post, "/v1/images?key=gray/camera.png&filename=camera.png", token: token,
                headers: [.contentType: "image/png"], body: TestImages.camera)
            #expect(png.status == .created)
            #expect(try cluster.decode(API.Image.self, png).contentType == "image/png")
            let unkeyed = try await cluster.request(
                .post, "/v1/images", token: token, headers: [.contentType: "image/jpeg"], body: TestImages.building)
            #expect(unkeyed.status == .created)
            #expect(try cluster.decode(API.Image.self, unkeyed).key.hasSuffix(".jpg"))

            // The gallery lists all three, newest first, in pages.
            let firstPage = try cluster.decode(
                API.Page<API.Image>.self, try await cluster.request(.get, "/v1/images?limit=2", token: token))
            #expect(firstPage.items.count == 2 && firstPage.items.last?.key == "gray/camera.png")
            let cursor = try #require(firstPage.nextCursor)
            let secondPage = try cluster.decode(
                API.Page<API.Image>.self,
                try await cluster.request(.get, "/v1/images?limit=2&cursor=\(cursor)", token: token))
            #expect(secondPage.items.map(\.id) == [id] && secondPage.nextCursor == nil)

            // By key, content with ETag and Range.
            let byKey = try cluster.decode(
                API.Image.self, try await cluster.request(.get, "/v1/images/by-key/trip/building.jpg", token: token))
            #expect(byKey.id == id)
            let content = try await cluster.request(.get, "/v1/images/by-key/trip/building.jpg/content", token: token)
            #expect(content.status == .ok && cluster.bytes(content) == TestImages.building)
            #expect(content.headers[.contentType] == "image/jpeg")
            let etag = try #require(content.headers[.eTag])
            let cached = try await cluster.request(
                .get, "/v1/images/\(id)/content", token: token, headers: [.ifNoneMatch: etag])
            #expect(cached.status == .notModified)
            let ranged = try await cluster.request(
                .get, "/v1/images/\(id)/content", token: token, headers: [.range: "bytes=100-199"])
            #expect(ranged.status == .partialContent && cluster.bytes(ranged) == Array(TestImages.building[100..<200]))
            #expect(ranged.headers[.contentRange] == "bytes 100-199/\(TestImages.building.count)")
            let suffix = try await cluster.request(
                .get, "/v1/images/\(id)/content", token: token, headers: [.range: "bytes=-10"])
            #expect(cluster.bytes(suffix) == Array(TestImages.building.suffix(10)))
            let outside = try await cluster.request(
                .get, "/v1/images/\(id)/content", token: token, headers: [.range: "bytes=99999999-"])
            #expect(outside.status == .rangeNotSatisfiable)

            // The thumbnail: a JPEG, longest side 256, cacheable; its URL leads back to the image.
            let thumbnail = try await cluster.request(.get, "/v1/images/\(id)/thumbnail", token: token)
            #expect(thumbnail.status == .ok && thumbnail.headers[.contentType] == "image/jpeg")
            #expect(thumbnail.headers[.cacheControl]?.contains("max-age") == true)
            let small = try ImageCodec.decode(cluster.bytes(thumbnail))
            #expect((small.width, small.height) == (256, 177))
            let thumbnailURL = try #require(
                image.thumbnailUrl.addingPercentEncoding(withAllowedCharacters: .alphanumerics))
            let behind = try cluster.decode(
                API.Image.self,
                try await cluster.request(.get, "/v1/images/by-thumbnail?url=\(thumbnailURL)", token: token))
            #expect(behind.id == id)

            // Processing: bytes back, or a saved image.
            let resized = try await cluster.json(
                .post, "/v1/process", ["imageId": id, "ops": [["op": "resize", "width": 100, "height": 100]]],
                token: token)
            #expect(resized.status == .ok && resized.headers[.contentType] == "image/jpeg")
            let decoded = try ImageCodec.decode(cluster.bytes(resized))
            #expect((decoded.width, decoded.height) == (100, 69))
            let uploaded = try await cluster.upload(
                "/v1/process", file: TestImages.building,
                fields: ["ops": #"[{"op":"rotate","degrees":90},{"op":"color","mode":"gray"}]"#, "format": "png"],
                token: token)
            #expect(uploaded.headers[.contentType] == "image/png")
            let rotated = try ImageCodec.decode(cluster.bytes(uploaded))
            #expect((rotated.width, rotated.height) == (600, 868))
            let saved = try await cluster.json(
                .post, "/v1/process", ["imageId": id, "ops": [["op": "color", "mode": "sepia"]], "save": true],
                token: token)
            #expect(saved.status == .created)
            #expect(try cluster.decode(API.Image.self, saved).derivedFrom == id)

            // Delete: gone for good.
            #expect(try await cluster.request(.delete, "/v1/images/\(id)", token: token).status == .noContent)
            #expect(try await cluster.request(.get, "/v1/images/\(id)", token: token).status == .notFound)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func largeJSONAnswersAreGzippedForClientsThatAcceptIt(_ backend: StoreBackend) async throws {
        try await ClusterHarness.run(backend) { cluster in
            let token = try await cluster.user("zippy")
            for name in ["a.jpg", "b.jpg", "c.jpg"] {
                _ = try await cluster.upload("/v1/images", file: TestImages.building, filename: name, token: token)
            }
            let plain = try await cluster.request(.get, "/v1/images", token: token)
            #expect(
                plain.headers[.contentEncoding] == nil && plain.body.readableBytes >= CompressingJSONEncoder.threshold)
            #expect(plain.headers[.vary] == "Accept-Encoding")
            let zipped = try await cluster.request(
                .get, "/v1/images", token: token, headers: [.acceptEncoding: "gzip, deflate, br"])
            #expect(zipped.headers[.contentEncoding] == "gzip")
            #expect(zipped.headers[.contentLength] == String(zipped.body.readableBytes))
            #expect(Array(zipped.body.readableBytesView.prefix(2)) == [0x1F, 0x8B])
            #expect(zipped.body.readableBytes * 2 < plain.body.readableBytes)
            // Refused with q=0, or a small answer: as it is.
            let refused = try await cluster.request(
                .get, "/v1/images", token: token, headers: [.acceptEncoding: "gzip;q=0"])
            #expect(refused.headers[.contentEncoding] == nil)
            let small = try await cluster.request(.get, "/v1/me", token: token, headers: [.acceptEncoding: "gzip"])
            #expect(small.headers[.contentEncoding] == nil && small.status == .ok)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func aDehazeJobRunsToCompletionAndHistoryClears(_ backend: StoreBackend) async throws {
        try await ClusterHarness.run(backend) { cluster in
            let token = try await cluster.user("bea")
            let accepted = try await cluster.upload(
                "/v1/jobs", file: TestImages.building, filename: "hazy.jpg", token: token)
            #expect(accepted.status == .accepted)
            let job = try cluster.decode(API.Job.self, accepted)
            let id = job.id
            #expect(job.status == "pending" && job.originalFilename == "hazy.jpg" && job.attempts == 0)
            #expect(job.ops.map(\.op) == ["dehaze"])
            var status = "pending"
            let deadline = ContinuousClock.now + .seconds(60)
            while status == "pending" || status == "running", ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
                status = try cluster.decode(
                    API.Job.self, try await cluster.request(.get, "/v1/jobs/\(id)", token: token)
                )
                .status
            }
            #expect(status == "completed")
            let result = try await cluster.request(.get, "/v1/jobs/\(id)/result", token: token)
            #expect(result.status == .ok && result.headers[.contentType] == "image/jpeg")
            let dehazed = try ImageCodec.decode(cluster.bytes(result))
            #expect((dehazed.width, dehazed.height) == (868, 600))
            let list = try cluster.decode(
                API.Page<API.Job>.self, try await cluster.request(.get, "/v1/jobs", token: token))
            let done = try #require(list.items.first)
            #expect(list.items.count == 1 && done.status == "completed" && done.resultImageId != nil)
            #expect(done.timings.keys.contains("process") && done.finishedAt != nil)
            // The input's and the result's thumbnails come signed, for the Jobs page's <img>s.
            for url in [done.thumbnailUrl, done.resultThumbnailUrl] {
                let url = try #require(url)
                #expect(url.contains("&sig="))
                let thumbnail = try await cluster.request(.get, url, token: nil)
                #expect(thumbnail.status == .ok && thumbnail.headers[.contentType] == "image/jpeg")
            }
            let cleared = try await cluster.request(.delete, "/v1/jobs", token: token)
            #expect(try cluster.decode(API.Count.self, cleared).count == 1)
            let empty = try cluster.decode(
                API.Page<API.Job>.self, try await cluster.request(.get, "/v1/jobs", token: token))
            #expect(empty.items.isEmpty)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func usersCannotReachEachOthersImagesOrJobs(_ backend: StoreBackend) async throws {
        try await ClusterHarness.run(backend, workers: false) { cluster in
            let alice = try await cluster.user("alice")
            let bob = try await cluster.user("bob")
            let image = try cluster.decode(
                API.Image.self, try await cluster.upload("/v1/images", file: TestImages.building, token: alice))
            let id = image.id
            let created = try await cluster.json(.post, "/v1/jobs", ["imageId": id], token: alice)
            let jobId = try cluster.decode(API.Job.self, created).id
            // Without workers the job stays pending: its result is a conflict, not a 404.
            let pending = try await cluster.request(.get, "/v1/jobs/\(jobId)/result", token: alice)
            #expect(pending.status == .conflict && cluster.errorCode(pending) == "JobNotFinished")
            // Alice's thumbnail is now in the gateway's cache; Bob still may not have it.
            for _ in 0..<2 {
                #expect(try await cluster.request(.get, "/v1/images/\(id)/thumbnail", token: alice).status == .ok)
            }
            for path in [
                "/v1/images/\(id)", "/v1/images/\(id)/content", "/v1/images/\(id)/thumbnail", "/v1/jobs/\(jobId)",
                "/v1/jobs/\(jobId)/result", "/v1/images/by-key/\(image.key)",
            ] {
                let response = try await cluster.request(.get, path, token: bob)
                #expect(response.status == .notFound, "\(path)")
            }
            #expect(try await cluster.request(.delete, "/v1/images/\(id)", token: bob).status == .notFound)
            #expect(try await cluster.request(.delete, "/v1/jobs/\(jobId)", token: bob).status == .notFound)
            let theirs = try await cluster.json(.post, "/v1/process", ["imageId": id, "ops": []], token: bob)
            #expect(theirs.status == .notFound)
            let gallery = try cluster.decode(
                API.Page<API.Image>.self, try await cluster.request(.get, "/v1/gallery", token: bob))
            #expect(gallery.items.isEmpty)
            #expect(try await cluster.request(.get, "/v1/images", token: nil).status == .unauthorized)
            // Deleting an image forgets its cached thumbnail at once.
            #expect(try await cluster.request(.delete, "/v1/images/\(id)", token: alice).status == .noContent)
            #expect(try await cluster.request(.get, "/v1/images/\(id)/thumbnail", token: alice).status == .notFound)
            _ = try await cluster.upload("/v1/images", file: TestImages.camera, token: alice)
            // Deleting the account needs the password (L14), then deletes its images.
            #expect(try await cluster.request(.delete, "/v1/me", token: alice).status == .badRequest)
            let wrong = try await cluster.json(.delete, "/v1/me", ["password": "Wr0ng-horse"], token: alice)
            #expect(wrong.status == .unauthorized)
            let kept = try cluster.decode(
                API.Page<API.Image>.self, try await cluster.request(.get, "/v1/images", token: alice))
            #expect(kept.items.count == 1)
            #expect(
                try await cluster.json(.delete, "/v1/me", ["password": "Corr3ct-horse"], token: alice).status
                    == .noContent)
            let again = try await cluster.user("alice")
            let none = try cluster.decode(
                API.Page<API.Image>.self, try await cluster.request(.get, "/v1/images", token: again))
            #expect(none.items.isEmpty)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func badUploadsAreRefusedAndLeaveNothing(_ backend: StoreBackend) async throws {
        try await ClusterHarness.run(backend, workers: false) { cluster in
            let token = try await cluster.user("carol")
            func status(_ response: TestResponse) -> (Int, String?) {
                (Int(response.status.code), cluster.errorCode(response))
            }
            let cases: [(String, TestResponse, Int, String)] = [
                (
                    "traversal key",
                    try await cluster.upload(
                        "/v1/images", file: TestImages.building, fields: ["key": "../../etc/passwd"], token: token),
                    400, "InvalidParameter"
                ),
                (
                    "slash key",
                    try await cluster.upload(
                        "/v1/images", file: TestImages.building, fields: ["key": "/abs"], token: token), 400,
                    "InvalidParameter"
                ),
                ("zero bytes", try await cluster.upload("/v1/images", file: [], token: token), 400, "InvalidParameter"),
                (
                    "text file", try await cluster.upload("/v1/images", file: Array("hello".utf8), token: token), 415,
                    "UnsupportedMediaType"
                ),
                (
                    "text body",
                    try await cluster.request(
                        .post, "/v1/images", token: token, headers: [.contentType: "text/plain"], body: Array("hi".utf8)
                    ), 415, "UnsupportedMediaType"
                ),
                (
                    "truncated",
                    try await cluster.upload("/v1/images", file: Array(TestImages.building.prefix(9000)), token: token),
                    422, "InvalidImage"
                ),
                (
                    "PNG bomb",
                    try await cluster.upload(
                        "/v1/images", file: PNGBytes(width: 200_000, height: 200_000, scanlines: [0, 0]).bytes,
                        token: token), 422, "InvalidImage"
                ),
                (
                    "60 MiB",
                    try await cluster.upload("/v1/images", file: Array(repeating: 0xAB, count: 60 << 20), token: token),
                    413, "PayloadTooLarge"
                ),
                (
                    "no file",
                    try await cluster.request(
                        .post, "/v1/images", token: token, headers: [.contentType: "multipart/form-data; boundary=x"],
                        body: Array("--x\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nk\r\n--x--\r\n".utf8)),
                    400, "InvalidParameter"
                ),
                (
                    "bad ops",
                    try await cluster.json(
                        .post, "/v1/process", ["imageId": "img_x", "ops": [["op": "explode"]]], token: token), 400,
                    "InvalidParameter"
                ),
            ]
            for (name, response, code, error) in cases {
                #expect(status(response) == (code, error), "\(name)")
            }
            let duplicate = try await cluster.upload(
                "/v1/images", file: TestImages.building, fields: ["key": "k.jpg"], token: token)
            #expect(duplicate.status == .created)
            let again = try await cluster.upload(
                "/v1/images", file: TestImages.camera, fields: ["key": "k.jpg"], token: token)
            #expect(again.status == .conflict && cluster.errorCode(again) == "KeyExists")
            let list = try cluster.decode(
                API.Page<API.Image>.self, try await cluster.request(.get, "/v1/images", token: token))
            #expect(list.items.count == 1)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func badParametersGetClearErrors(_ backend: StoreBackend) async throws {
        try await ClusterHarness.run(backend, workers: false) { cluster in
            let token = try await cluster.user("dora")
            let id = try cluster.decode(
                API.Image.self, try await cluster.upload("/v1/images", file: TestImages.building, token: token)
            ).id
            let multipart: HTTPFields = [.contentType: "multipart/form-data; boundary=x"]
            let cases: [(String, TestResponse, Int, String)] = [
                (
                    "limit 0", try await cluster.request(.get, "/v1/images?limit=0", token: token), 400,
                    "InvalidParameter"
                ),
                (
                    "limit abc", try await cluster.request(.get, "/v1/jobs?limit=abc", token: token), 400,
                    "InvalidParameter"
                ),
                (
                    "cursor", try await cluster.request(.get, "/v1/images?cursor=nope", token: token), 400,
                    "InvalidParameter"
                ),
                (
                    "no url", try await cluster.request(.get, "/v1/images/by-thumbnail", token: token), 400,
                    "InvalidParameter"
                ),
                (
                    "not a thumbnail url",
                    try await cluster.request(.get, "/v1/images/by-thumbnail?url=/v1/gallery", token: token), 400,
                    "InvalidParameter"
                ),
                (
                    "reversed range",
                    try await cluster.request(
                        .get, "/v1/images/\(id)/content", token: token, headers: [.range: "bytes=50-10"]), 416,
                    "RangeNotSatisfiable"
                ),
                (
                    "visibility",
                    try await cluster.upload(
                        "/v1/images", file: TestImages.building, fields: ["visibility": "secret"], token: token), 400,
                    "InvalidParameter"
                ),
                (
                    "quality",
                    try await cluster.upload(
                        "/v1/process", file: TestImages.building, fields: ["ops": "[]", "quality": "high"], token: token
                    ), 400, "InvalidParameter"
                ),
                (
                    "ops not JSON",
                    try await cluster.upload(
                        "/v1/process", file: TestImages.building, fields: ["ops": "{resize"], token: token), 400,
                    "InvalidParameter"
                ),
                (
                    "no ops", try await cluster.upload("/v1/process", file: TestImages.building, token: token), 400,
                    "InvalidParameter"
                ),
                (
                    "no boundary",
                    try await cluster.request(
                        .post, "/v1/images", token: token, headers: [.contentType: "multipart/form-data"], body: [1, 2]),
                    400, "InvalidParameter"
                ),
                (
                    "cut-off multipart",
                    try await cluster.request(
                        .post, "/v1/images", token: token, headers: multipart,
                        body: Array("--x\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc".utf8)), 400,
                    "InvalidParameter"
                ),
                ("unknown job", try await cluster.request(.get, "/v1/jobs/job_nothing", token: token), 404, "NotFound"),
            ]
            for (name, response, status, code) in cases {
                #expect(Int(response.status.code) == status && cluster.errorCode(response) == code, "\(name)")
            }
        }
    }
}
