import Foundation

/// The committed libFuzzer corpora (`Fuzz/corpus/<name>`), which `make test` replays through the same
/// checks the fuzzers run (`Fuzz/Checks`, linked into the test targets).
public enum FuzzCorpus {
    /// The repository's root, found from this source file's place in it.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Every input of one corpus, by file name.
    public static func inputs(_ name: String) throws -> [(name: String, bytes: [UInt8])] {
        let folder = root.appendingPathComponent("Fuzz/corpus/\(name)")
        return try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted().map { file in
            (file, Array(try Data(contentsOf: folder.appendingPathComponent(file))))
        }
    }
}
