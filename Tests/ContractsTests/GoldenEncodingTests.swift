import Contracts
import Foundation
import Testing
import Wire
import WireTesting

/// Contracts that can roll: `Golden/` holds a Wire encoding of every request and reply (events travel
/// inside `pollEvents` and `readEvents` replies), each made once by this suite in write mode and then
/// kept. Today's types must decode every one of them and encode it back to the same bytes: a removed or
/// renumbered field, or a changed type, breaks that (an older peer would send or expect it), while an
/// added optional field does not (absent in old bytes, not encoded when nil).
///
/// A new method's files are written by `CLEARSKY_WRITE_GOLDEN=1 swift test --filter GoldenEncodingTests`;
/// existing files are never rewritten. Commit the new ones.
@Suite struct GoldenEncodingTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    struct Checker: ContractVisitor {
        let write: Bool
        var missing: [String] = []
        var checked = 0

        mutating func visit<Request, Reply>(_ method: Method<Request, Reply>) throws {
            try check(Request.self, "\(method.name).request")
            try check(Reply.self, "\(method.name).reply")
        }

        private mutating func check<T: Codable>(_ type: T.Type, _ name: String) throws {
            let path = GoldenEncodingTests.folder.appendingPathComponent("\(name).wire").path
            guard let data = FileManager.default.contents(atPath: path) else {
                if write {
                    try Data(try Self.sample(T.self)).write(to: URL(fileURLWithPath: path))
                } else {
                    missing.append(name)
                }
                return
            }
            checked += 1
            let golden = Array(data)
            let decoded: T
            do {
                decoded = try WireDecoder().decode(T.self, from: golden)
            } catch {
                Issue.record("\(name): an older peer's \(T.self) no longer decodes: \(error)")
                return
            }
            #expect(
                try WireEncoder().encode(decoded) == golden,
                "\(name): \(T.self) no longer encodes what an older peer sent (a field removed, renumbered or retyped)")
        }

        /// A value with every field present, from the first seed whose strings fit the type's enums.
        static func sample<T: Codable>(_ type: T.Type) throws -> [UInt8] {
            for seed: UInt64 in 0..<200 {
                if let value = try? RandomDecoder.value(T.self, seed: seed, complete: true) {
                    return try WireEncoder().encode(value)
                }
            }
            for seed: UInt64 in 0..<200 {
                if let value = try? RandomDecoder.value(T.self, seed: seed) { return try WireEncoder().encode(value) }
            }
            throw CocoaError(.coderInvalidValue)
        }
    }

    @Test func everyOlderEncodingStillDecodesToTheSameBytes() throws {
        let write = ProcessInfo.processInfo.environment["CLEARSKY_WRITE_GOLDEN"] == "1"
        if write { try FileManager.default.createDirectory(at: Self.folder, withIntermediateDirectories: true) }
        var checker = Checker(write: write)
        try ContractCatalog.visitAll(&checker)
        #expect(
            checker.missing.isEmpty,
            "no golden encoding for \(checker.missing); run CLEARSKY_WRITE_GOLDEN=1 swift test --filter GoldenEncodingTests"
        )
        #expect(write || checker.checked >= 118)
    }

    /// The check itself: a type with a field removed, or retyped, fails against the old bytes; one with
    /// an optional field added passes.
    @Test func theCheckTellsBreakingChangesFromCompatibleOnes() throws {
        struct Old: Codable {
            var id: String
            var size: Int
            var note: String?
            enum CodingKeys: Int, CodingKey { case id = 1, size, note }
        }
        struct Added: Codable {
            var id: String
            var size: Int
            var note: String?
            var extra: Bool?
            enum CodingKeys: Int, CodingKey { case id = 1, size, note, extra }
        }
        struct Removed: Codable {
            var id: String
            var note: String?
            enum CodingKeys: Int, CodingKey { case id = 1, note = 3 }
        }
        struct Retyped: Codable {
            var id: String
            var size: String
            var note: String?
            enum CodingKeys: Int, CodingKey { case id = 1, size, note }
        }
        let golden = try WireEncoder().encode(Old(id: "img_1", size: 42, note: "n"))
        #expect(try WireEncoder().encode(try WireDecoder().decode(Added.self, from: golden)) == golden)
        #expect(try WireEncoder().encode(try WireDecoder().decode(Removed.self, from: golden)) != golden)
        #expect((try? WireDecoder().decode(Retyped.self, from: golden)) == nil)
    }
}
