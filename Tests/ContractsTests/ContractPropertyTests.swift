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

    /// A method added to a contract and not to the list below would go unchecked: read the contracts'
    /// sources and compare.
    @Test func theListNamesEveryMethodOfEveryContract() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/Contracts")
        let mine = try String(contentsOfFile: #filePath, encoding: .utf8)
        var declared = 0
        for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) where file.hasSuffix(".swift") {
            let text = try String(contentsOfFile: folder.appendingPathComponent(file).path, encoding: .utf8)
            guard let contract = text.firstMatch(of: /public enum (\w+Contract) \{/)?.1 else { continue }
            for match in text.matches(of: /static let (\w+) = Method</) {
                declared += 1
                #expect(mine.contains("try check(\(contract).\(match.1), seed: seed)"), "\(contract).\(match.1)")
            }
        }
        #expect(declared > 50)
    }

    private func all(seed: UInt64, made: inout [String: Int]) throws {
        func check<Request, Reply>(_ method: Method<Request, Reply>, seed: UInt64) throws {
            made["\(method.name) request", default: 0] += try Self.property(
                Request.self, seed: seed &* 2 &+ 1, name: method.name)
            made["\(method.name) reply", default: 0] += try Self.property(
                Reply.self, seed: seed &* 2 &+ 2, name: method.name)
        }
        try check(AuthContract.signUp, seed: seed)
        try check(AuthContract.confirmSignUp, seed: seed)
        try check(AuthContract.resendCode, seed: seed)
        try check(AuthContract.login, seed: seed)
        try check(AuthContract.refresh, seed: seed)
        try check(AuthContract.logout, seed: seed)
        try check(AuthContract.logoutAll, seed: seed)
        try check(AuthContract.forgotPassword, seed: seed)
        try check(AuthContract.resetPassword, seed: seed)
        try check(AuthContract.changePassword, seed: seed)
        try check(AuthContract.getUser, seed: seed)
        try check(AuthContract.deleteUser, seed: seed)
        try check(AuthContract.verificationKeys, seed: seed)
        try check(AuthContract.revocations, seed: seed)
        try check(AuthContract.rotateKey, seed: seed)
        try check(AuthContract.verifyPassword, seed: seed)
        try check(CommonContract.health, seed: seed)
        try check(ProcessContract.process, seed: seed)
        try check(ProcessContract.thumbnail, seed: seed)
        try check(ProcessContract.createJob, seed: seed)
        try check(ProcessContract.listJobs, seed: seed)
        try check(ProcessContract.getJob, seed: seed)
        try check(ProcessContract.deleteJob, seed: seed)
        try check(ProcessContract.clearJobs, seed: seed)
        try check(ProcessContract.deleteOwner, seed: seed)
        try check(StoreContract.putImage, seed: seed)
        try check(StoreContract.getImage, seed: seed)
        try check(StoreContract.imageByKey, seed: seed)
        try check(StoreContract.imageByThumbnail, seed: seed)
        try check(StoreContract.listImages, seed: seed)
        try check(StoreContract.gallery, seed: seed)
        try check(StoreContract.content, seed: seed)
        try check(StoreContract.deleteImage, seed: seed)
        try check(StoreContract.deleteOwner, seed: seed)
        try check(StoreContract.putDerivative, seed: seed)
        try check(StoreContract.derivative, seed: seed)
        try check(StoreContract.pollEvents, seed: seed)
        try check(StoreContract.commitEvents, seed: seed)
        try check(StoreContract.cacheStats, seed: seed)
        try check(StoreContract.images, seed: seed)
        try check(StoreContract.recordTagsChanged, seed: seed)
        try check(StoreContract.createShare, seed: seed)
        try check(StoreContract.deleteShare, seed: seed)
        try check(StoreContract.sharedImage, seed: seed)
        try check(StoreContract.readEvents, seed: seed)
        try check(StoreContract.recordJobChanged, seed: seed)
        try check(TagContract.tagsOf, seed: seed)
        try check(TagContract.query, seed: seed)
        try check(TagContract.listTags, seed: seed)
        try check(TagContract.setTags, seed: seed)
        try check(TagContract.bulkEdit, seed: seed)
        try check(TagContract.recognize, seed: seed)
        try check(TagContract.similar, seed: seed)
        try check(TagContract.subscribe, seed: seed)
        try check(TagContract.listSubscriptions, seed: seed)
        try check(TagContract.unsubscribe, seed: seed)
        try check(TagContract.confirmSubscription, seed: seed)
        try check(TagContract.deleteOwner, seed: seed)
        try check(TagContract.getSubscription, seed: seed)
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
