import Foundation
import Imaging
import TestImages
import Testing

@testable import Detection

@Suite(.offCooperativePool) struct DetectorTests {
    /// One thread per pass, so that these tests leave cores to the servers of other suites running beside
    /// them (threaded passes are checked in ForwardTests).
    static let detector: Detector? = {
        var detector = try? Detector(files: ModelFiles(folder: ModelTests.folder))
        detector?.parallelism = .single
        return detector
    }()

    @Test func detectionsMatchOpenCVOnTheLayerCheckImage() throws {
        let detector = try #require(Self.detector)
        let image = try ImageCodec.decode(LoaderTests.fixture("scenetext01_416.png"))
        // The original photo is 800×600; boxes come back in its pixels.
        let found = detector.detect(blob: Detector.blob(image), width: 800, height: 600)
        let truth = try ForwardTests.json()["detections"] as! [[String: Any]]
        #expect(found.count == truth.count)
        for (detection, expected) in zip(found, truth) {
            #expect(detection.label == expected["class"] as! String)
            #expect(abs(detection.confidence - (expected["confidence"] as! Double)) <= 0.01)
            let box = expected["box"] as! [Double]
            let edges = [
                (detection.box.x, box[0]), (detection.box.y, box[1]),
                (detection.box.x + detection.box.width, box[0] + box[2]),
                (detection.box.y + detection.box.height, box[1] + box[3]),
            ]
            for (ours, theirs) in edges {
                #expect(abs(ours - theirs) <= 2, "\(detection.label) edge \(ours) vs \(theirs)")
            }
        }
        #expect(
            Detector.tags(found) == [
                DetectedTag(tag: "car", count: 1, confidence: found[0].confidence),
                DetectedTag(tag: "person", count: 2, confidence: found[1].confidence),
            ])
    }

    /// Whole photos through `detect(_:)`, which resizes with Imaging's bilinear (OpenCV's is fixed-point):
    /// the same labels and counts as OpenCV DNN's ground truth, confidence within 0.01, edges within 2 px.
    @Test(arguments: ["fruits.jpg", "building.jpg", "home.jpg", "scenetext01.jpg"])
    func detectionsMatchOpenCVOnPhotos(photo: String) throws {
        let detector = try #require(Self.detector)
        let truth = try #require(
            (try JSONSerialization.jsonObject(with: Data(LoaderTests.fixture("truth.json"))) as? [String: [String: Any]])?[
                photo])
        let image = try ImageCodec.decode(LoaderTests.fixture(photo))
        let found = detector.detect(image)
        let expected = truth["detections"] as! [[String: Any]]
        #expect(found.map(\.label) == expected.map { $0["class"] as! String })
        for (detection, reference) in zip(found, expected) {
            #expect(
                abs(detection.confidence - (reference["confidence"] as! Double)) <= 0.01, "\(photo) \(detection.label)")
            let box = reference["box"] as! [Double]
            let edges = [
                (detection.box.x, box[0]), (detection.box.y, box[1]),
                (detection.box.x + detection.box.width, box[0] + box[2]),
                (detection.box.y + detection.box.height, box[1] + box[3]),
            ]
            for (ours, theirs) in edges { #expect(abs(ours - theirs) <= 2, "\(photo) \(detection.label)") }
        }
    }

    @Test func aPhotoWithNothingAboveTheThresholdGivesNoDetections() throws {
        let detector = try #require(Self.detector)
        // OpenCV finds nothing in robin.jpg (its best score, a bird, is 0.233).
        let robin = try ImageCodec.decode(LoaderTests.fixture("robin.jpg"))
        #expect(detector.detect(robin).isEmpty)
        // A lower threshold finds the bird.
        var eager = detector
        eager.threshold = 0.1
        #expect(eager.detect(robin).first?.label == "bird")
    }

    @Test func largeJPEGsAreDecodedScaledAndBoxesStayInFullPixels() throws {
        let detector = try #require(Self.detector)
        let photo = try ImageCodec.decode(LoaderTests.fixture("fruits.jpg"))
        // 2048×1920: decoded at 1/4 (512×480), the photo's own size.
        let large = try ImageCodec.encode(
            photo.resampled(width: 2048, height: 1920, filter: .bicubic), as: .jpeg, quality: 95)
        let found = try detector.detect(bytes: large)
        let direct = detector.detect(photo)
        #expect(found.map(\.label) == direct.map(\.label))
        for (big, small) in zip(found, direct) {
            #expect(abs(big.confidence - small.confidence) < 0.05)
            #expect(abs(big.box.x - small.box.x * 4) < 16 && abs(big.box.width - small.box.width * 4) < 16)
        }
        #expect(throws: (any Error).self) { try detector.detect(bytes: Array(large.prefix(1000))) }
        #expect(throws: (any Error).self) { try detector.detect(bytes: large, pixelLimit: 1_000_000) }
    }

    /// One detector called from several threads at once: each pass borrows a workspace of its own, so
    /// results never mix, and buffers reused from earlier passes give what the first passes gave.
    @Test func oneDetectorServesConcurrentCallersWithReusedBuffers() async throws {
        let detector = try #require(Self.detector)
        let photos = try ["fruits.jpg", "scenetext01.jpg"].map { try ImageCodec.decode(LoaderTests.fixture($0)) }
        let expected = photos.map { detector.detect($0) }
        #expect(expected.allSatisfy { !$0.isEmpty })
        // Child tasks run on the suite's own threads (they inherit its executor), not on Dispatch's pool,
        // which the servers of other suites need.
        let found = await withTaskGroup(of: (Int, [Detection]).self) { group in
            for index in 0..<4 { group.addTask { (index, detector.detect(photos[index % 2])) } }
            var found: [Int: [Detection]] = [:]
            for await (index, detections) in group { found[index] = detections }
            return found
        }
        for index in 0..<4 {
            let ours = found[index] ?? []
            let reference = expected[index % 2]
            #expect(ours.map(\.label) == reference.map(\.label), "call \(index)")
            for (a, b) in zip(ours, reference) {
                #expect(abs(a.confidence - b.confidence) < 1e-4 && abs(a.box.x - b.box.x) < 0.01, "call \(index)")
            }
        }
    }

    /// A pass borrows a workspace and gives it back: the next pass reuses it instead of allocating. The
    /// pool hands each worker count its own workspace and keeps at most two idle (checked on the pool
    /// itself, without running threaded passes beside the server suites).
    @Test func passesReuseTheirWorkspaces() throws {
        let files = try ModelFiles(folder: ModelTests.folder)
        var detector = try Detector(files: files)
        detector.parallelism = .single
        let photo = try ImageCodec.decode(LoaderTests.fixture("fruits.jpg"))
        #expect(detector.network.idleWorkspaces.isEmpty)
        let first = detector.detect(photo)
        let pooled = detector.network.idleWorkspaces
        #expect(pooled.count == 1)
        #expect(detector.detect(photo) == first)
        #expect(detector.network.idleWorkspaces == pooled)

        let pool = Network.WorkspacePool()
        let plan = Network.Plan(config: detector.network.config, keeping: [])
        let (one, two, three) = (
            pool.take(plan: plan, workers: 1), pool.take(plan: plan, workers: 2), pool.take(plan: plan, workers: 3)
        )
        pool.give(one)
        #expect(pool.take(plan: plan, workers: 2) !== one)
        #expect(pool.take(plan: plan, workers: 1) === one)
        for workspace in [one, two, three] { pool.give(workspace) }
        #expect(pool.idle.withLock { $0.map(ObjectIdentifier.init) } == [two, three].map(ObjectIdentifier.init))
    }

    @Test func nonMaximumSuppressionIsPerClass() {
        func detection(_ label: Int, _ confidence: Double, _ x: Double) -> Detection {
            Detection(
                label: "c\(label)", classIndex: label, confidence: confidence,
                box: .init(x: x, y: 0, width: 10, height: 10))
        }
        let kept = Detector.suppress(
            [detection(0, 0.5, 1), detection(0, 0.9, 0), detection(1, 0.8, 0), detection(0, 0.4, 50)], threshold: 0.45)
        #expect(kept.map(\.confidence) == [0.9, 0.8, 0.4])
    }
}
