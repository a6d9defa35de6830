import Foundation
import ServiceRuntime
import Testing
import Wire
import WireTesting

@testable import ProcessSvc

@Suite struct ProcessContractTests {
    @Test func healthReportsServing() async throws {
        try await withServiceHost(.process) { host in
            try await withWireServer(service: ServiceName.process.rawValue, router: ProcessRouter.make(host: host)) {
                harness in
                let status = try await harness.client().call(CommonContract.health, Empty())
                #expect(status.service == "ProcessSvc")
                #expect(status.state == .serving)
                #expect(status.checks["dataFolder"] == "writable")
            }
        }
    }
}
