import Testing
import WireTesting

/// The Wire fuzzer's corpus, replayed through its own check.
@Suite struct FuzzCorpusReplayTests {
    @Test func wireCorpus() throws {
        let inputs = try FuzzCorpus.inputs("wire")
        #expect(!inputs.isEmpty)
        for input in inputs { WireFuzzing.check(input.bytes) }
    }
}
