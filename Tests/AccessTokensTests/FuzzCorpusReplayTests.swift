import Testing
import WireTesting

/// The JWT fuzzer's corpus, replayed through its own check.
@Suite struct FuzzCorpusReplayTests {
    @Test func jwtCorpus() throws {
        let inputs = try FuzzCorpus.inputs("jwt")
        #expect(!inputs.isEmpty)
        for input in inputs { TokenFuzzing.check(input.bytes) }
    }
}
