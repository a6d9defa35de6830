import Contracts
import Foundation
import Mail
import ServiceRuntime
import Testing
import Wire
import WireTesting

@testable import AuthSvc

@Suite struct AuthContractTests {
    @Test func healthReportsServing() async throws {
        try await withServiceHost(.auth) { host in
            try await withWireServer(
                service: ServiceName.auth.rawValue,
                router: AuthRouter.make(
                    host: host,
                    service: try AuthService(
                        store: SQLiteUserStore(path: host.configuration.stateDirectory + "/users.sqlite"),
                        settings: AuthHarness.settings(),
                        mail: Outbox(folder: host.configuration.dataDirectory + "/outbox"),
                        logger: host.logger))
            ) {
                harness in
                let status = try await harness.client().call(CommonContract.health, Empty())
                #expect(status.service == "AuthSvc")
                #expect(status.state == .serving)
                #expect(status.checks["dataFolder"] == "writable")
            }
        }
    }
}
