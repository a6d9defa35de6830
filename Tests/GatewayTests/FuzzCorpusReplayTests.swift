import Testing
import WireTesting

/// The multipart fuzzer's corpus, replayed through its own check against the gateway's reader.
@Suite struct FuzzCorpusReplayTests {
    @Test func multipartCorpus() throws {
        let inputs = try FuzzCorpus.inputs("multipart")
        #expect(!inputs.isEmpty)
        for input in inputs { MultipartFuzzing.check(input.bytes) }
    }
}
