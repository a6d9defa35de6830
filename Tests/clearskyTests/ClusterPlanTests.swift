import Contracts
import Testing
import Wire
import WireTesting

@testable import clearsky

@Suite struct ClusterPlanTests {
    @Test func missingBinariesAreAClearError() throws {
        let empty = try temporaryFolder()
        let error = #expect(throws: WireError.self) {
            try ClusterPlan(
                dataDirectory: empty, gatewayPort: 8080, basePort: 7100, binaryDirectory: empty, logLevel: "info")
        }
        #expect(error?.code == .failedPrecondition)
        #expect(error?.message.contains("swift build -c release") == true)
        #expect(error?.message.contains("\(empty)/") == true)
    }

    @Test func childrenGetTheirPortsAndTheSharedFlags() throws {
        let plan = try ClusterPlan(
            dataDirectory: "/tmp/clearsky-plan", gatewayPort: 9090, basePort: 20000,
            binaryDirectory: UpTests.binaryDirectory, logLevel: "debug")
        let store = try #require(plan.children.first { $0.name == .store })
        #expect(store.arguments.suffix(2) == ["--listen", "127.0.0.1:20002"])
        #expect(store.arguments.contains("/tmp/clearsky-plan/cluster.secret"))
        let gateway = try #require(plan.children.first { $0.name == .gateway })
        #expect(gateway.arguments.suffix(2) == ["--listen", "127.0.0.1:9090"])
        #expect(plan.children.count == 5)
    }
}
