import ArgumentParser
import Detection
import Imaging
import TestImages
import Testing
import WireTesting

@testable import TagSvc

@Suite(.offCooperativePool) struct TagSettingsTests {
    /// `--detection-threads` (or CLEARSKY_DETECTION_THREADS) is parsed and reaches the detector TagSvc
    /// loads; without it the detector keeps its default (every core).
    @Test func detectionThreadsReachTheDetector() throws {
        let command = try TagCommand.parse(["--detection-threads", "1"])
        #expect(command.detectionThreads == 1)
        #expect(try TagCommand.parse([]).detectionThreads == nil)

        var settings = TagSettings()
        #expect(settings.detectionThreads == nil)
        settings.detectionThreads = 1
        let detector = try settings.detector(modelFolder: TestImages.modelFolder)
        #expect(detector.parallelism == .single)
        #expect(throws: (any Error).self) { try settings.detector(modelFolder: "/nonexistent/models") }
    }

    /// A thread count that is not a number, or out of 1…256, stops TagSvc at start with a message that names
    /// the flag.
    @Test func badDetectionThreadsAreRefused() async throws {
        #expect(throws: (any Error).self) { try TagCommand.parse(["--detection-threads", "two"]) }
        try await withServiceHost(.tag) { host in
            for bad in ["0", "257", "-1"] {
                let command = try TagCommand.parse(["--detection-threads=\(bad)"])
                let error = await #expect(throws: ValidationError.self) {
                    try await command.parts(host: host, credentials: .plain(WireHarness.secret))
                }
                #expect(error?.message.contains("--detection-threads") == true, "\(bad)")
            }
        }
    }
}
