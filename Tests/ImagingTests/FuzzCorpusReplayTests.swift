import Testing
import WireTesting

/// The JPEG, PNG and operations fuzzers' corpora, replayed through the fuzzers' own checks.
@Suite struct FuzzCorpusReplayTests {
    @Test func jpegCorpus() throws {
        let inputs = try FuzzCorpus.inputs("jpeg")
        #expect(!inputs.isEmpty)
        for input in inputs { DecoderFuzzing.check(input.bytes, expecting: .jpeg) }
    }

    @Test func pngCorpus() throws {
        let inputs = try FuzzCorpus.inputs("png")
        #expect(!inputs.isEmpty)
        for input in inputs { DecoderFuzzing.check(input.bytes, expecting: .png) }
    }

    @Test func operationsCorpus() throws {
        let inputs = try FuzzCorpus.inputs("ops")
        #expect(!inputs.isEmpty)
        for input in inputs { OperationsFuzzing.check(input.bytes) }
    }
}
