import Contracts
import Testing
import Wire

/// The services' error codes: each number means one thing, and once registered a code read off the
/// wire has its contract's name again.
@Suite struct ContractRegistryTests {
    @Test func everyCodeHasItsOwnNumberAndNameAboveTheTransportsRange() {
        let codes = ContractRegistry.errorCodes
        #expect(Set(codes.map(\.rawValue)).count == codes.count)
        #expect(Set(codes.map(\.name)).count == codes.count)
        #expect(codes.allSatisfy { $0.rawValue >= 1000 })
        #expect(codes.contains(.usernameExists) && codes.contains(.invalidImage) && codes.contains(.webhookNotAllowed))
    }

    @Test func registeredCodesAreReadBackByName() {
        ContractRegistry.register()
        for code in ContractRegistry.errorCodes {
            #expect(WireError.Code(rawValue: code.rawValue).name == code.name)
        }
        // The transport's own, and a number nobody registered, which keeps its number.
        #expect(WireError.Code(rawValue: 5).name == "notFound")
        #expect(WireError.Code(rawValue: 987_654).name == "code987654")
        // A number registered again keeps its first name.
        WireError.Code.register([WireError.Code(WireError.Code.usernameExists.rawValue, "Other")])
        #expect(WireError.Code(rawValue: WireError.Code.usernameExists.rawValue).name == "UsernameExists")
    }
}
