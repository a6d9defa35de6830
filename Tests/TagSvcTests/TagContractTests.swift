import Foundation
import ServiceRuntime
import Testing
import Wire
import WireTesting

@testable import TagSvc

@Suite struct TagContractTests {
    @Test func healthReportsServing() async throws {
        try await withServiceHost(.tag) { host in
            try await withWireServer(service: ServiceName.tag.rawValue, router: TagRouter.make(host: host)) { harness in
                let status = try await harness.client().call(CommonContract.health, Empty())
                #expect(status.service == "TagSvc")
                #expect(status.state == .serving)
                #expect(status.checks["dataFolder"] == "writable")
            }
        }
    }
}
