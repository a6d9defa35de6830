import Contracts
import Foundation
import Testing
import Wire
import WireTesting

/// The Wire codec over every contract's requests and replies: generated values with extreme numbers and
/// odd strings round-trip exactly, and their encodings with random edits decode to a value that
/// round-trips too, or are refused with an error. Nothing traps.
@Suite struct ContractPropertyTests {
    @Test func everyContractRoundTrips() throws {
        var made: [String: Int] = [:]
        for seed: UInt64 in 0..<40 { try all(seed: seed, made: &made) }
        // Each request and reply type was generated, not skipped for lack of a decodable value.
        let never = made.filter { $0.value == 0 }.keys.sorted()
        #expect(never.isEmpty, "never generated: \(never)")
    }

    /// A method added to a contract and not to `ContractCatalog` would go unchecked: read the contracts'
    /// sources and compare.
    @Test func theListNamesEveryMethodOfEveryContract() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/Contracts")
        let catalog = try String(
            contentsOfFile: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("ContractCatalog.swift").path, encoding: .utf8)
        var declared = 0
        for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) where file.hasSuffix(".swift") {
            let text = try String(contentsOfFile: folder.appendingPathComponent(file).path, encoding: .utf8)
            guard let contract = text.firstMatch(of: /public enum (\w+Contract) \{/)?.1 else { continue }
            for match in text.matches(of: /static let (\w+) = Method</) {
                declared += 1
                #expect(catalog.contains("visitor.visit(\(contract).\(match.1))"), "\(contract).\(match.1)")
            }
        }
        #expect(declared > 50)
    }

    /// Generates and checks the request and reply types of every method for one seed.
    private struct Checker: ContractVisitor {
        let seed: UInt64
        var made: [String: Int]

        mutating func visit<Request, Reply>(_ method: Method<Request, Reply>) throws {
            made["\(method.name) request", default: 0] += try ContractPropertyTests.property(
                Request.self, seed: seed &* 2 &+ 1, name: method.name)
            made["\(method.name) reply", default: 0] += try ContractPropertyTests.property(
                Reply.self, seed: seed &* 2 &+ 2, name: method.name)
        }
    }

    private func all(seed: UInt64, made: inout [String: Int]) throws {
        var checker = Checker(seed: seed, made: made)
        try ContractCatalog.visitAll(&checker)
        made = checker.made
    }

    /// How many values of `T` were generated and checked (up to 3 out of 20 tries).
    @discardableResult
    static func property<T: Codable>(_ type: T.Type, seed: UInt64, name: String) throws -> Int {
        var generator = SeededGenerator(seed: seed ^ 0xC0_7A_C7)
        var made = 0
        for attempt in 0..<20 {
            // Values whose strings are not one of an enum's cases cannot be made; try another.
            guard let value = try? RandomDecoder.value(T.self, seed: seed &* 31 &+ UInt64(attempt)) else { continue }
            made += 1
            let bytes = try WireEncoder().encode(value)
            let back = try WireDecoder().decode(T.self, from: bytes)
            #expect(try WireEncoder().encode(back) == bytes, "\(name) \(T.self) changed in a round trip")
            for _ in 0..<8 {
                var mutated = bytes
                for _ in 0..<Int.random(in: 1...4, using: &generator) {
                    guard !mutated.isEmpty else { break }
                    let index = Int.random(in: 0..<mutated.count, using: &generator)
                    switch Int.random(in: 0..<3, using: &generator) {
                    case 0: mutated[index] = UInt8.random(in: 0...255, using: &generator)
                    case 1: mutated.remove(at: index)
                    default: mutated.insert(UInt8.random(in: 0...255, using: &generator), at: index)
                    }
                }
                guard let decoded = try? WireDecoder().decode(T.self, from: mutated) else { continue }
                let again = try WireEncoder().encode(decoded)
                #expect(
                    try WireEncoder().encode(try WireDecoder().decode(T.self, from: again)) == again,
                    "\(name) \(T.self): a decoded edit does not round-trip")
            }
            if made >= 3 { break }
        }
        return made
    }
}
