import Foundation
import ServiceRuntime
import Testing
import Wire
import WireTesting

@testable import StoreSvc

@Suite struct StoreContractTests {
    @Test func healthReportsServing() async throws {
        try await withServiceHost(.store) { host in
            try await withWireServer(service: ServiceName.store.rawValue, router: StoreRouter.make(host: host)) {
                harness in
                let status = try await harness.client().call(CommonContract.health, Empty())
                #expect(status.service == "StoreSvc")
                #expect(status.state == .serving)
                #expect(status.checks["dataFolder"] == "writable")
            }
        }
    }
}
