import Contracts
import Testing
import Wire

/// The contracts' access lists (issue 25): over TLS each method admits only the identities that call it.
@Suite struct AccessListTests {
    private struct Lists: ContractVisitor {
        var callers: [String: [String]?] = [:]
        mutating func visit<Request, Reply>(_ method: Method<Request, Reply>) throws {
            callers[method.name] = method.callers.identities
        }
    }

    static func lists() throws -> [String: [String]?] {
        var lists = Lists()
        try ContractCatalog.visitAll(&lists)
        return lists.callers
    }

    @Test func everyMethodButHealthNamesItsCallers() throws {
        let lists = try Self.lists()
        #expect(lists.count > 50)
        for (name, callers) in lists where name != CommonContract.health.name {
            #expect(callers != nil && callers?.isEmpty == false, "\(name) admits every peer")
        }
        #expect(CommonContract.health.callers.identities == nil)
    }

    @Test func keysAndAccountsAreGuarded() throws {
        let lists = try Self.lists()
        // Only the gateway verifies tokens; only the operator's commands rotate or revoke keys.
        #expect(lists[AuthContract.verificationKeys.name] == ["gateway"])
        #expect(lists[AuthContract.revocations.name] == ["gateway"])
        #expect(lists[AuthContract.rotateKey.name] == ["operator"])
        #expect(lists[AuthContract.revokeKey.name] == ["operator"])
        // A user deletes their own account through the gateway (after their password); the operator any.
        #expect(lists[AuthContract.deleteUser.name] == ["gateway", "operator"])
        // No backend signs people in or reads another service's users.
        for (name, callers) in lists where name.hasPrefix("auth.") {
            #expect(callers?.contains("storesvc") != true && callers?.contains("tagsvc") != true, "\(name)")
        }
        // What the consumers need, and only they.
        #expect(lists[StoreContract.putDerivative.name] == ["processsvc"])
        #expect(lists[StoreContract.pollEvents.name] == ["processsvc", "tagsvc"])
        #expect(lists[StoreContract.recordTagsChanged.name] == ["tagsvc"])
        #expect(lists[StoreContract.deleteOwner.name] == ["gateway"])
    }
}
