import ArgumentParser
import Testing
import Wire

@testable import ServiceRuntime

@Suite struct ServiceOptionsTests {
    @Test func defaultsPutEachServiceOnItsPort() throws {
        let configuration = try ServiceOptions.parse([]).resolve(for: .store, environment: [:])
        #expect(configuration.listen == WireEndpoint(host: "127.0.0.1", port: 7102))
        #expect(configuration.dataDirectory == "./data")
        #expect(configuration.secretFile == "./data/cluster.secret")
        #expect(configuration.stateDirectory == "./data/store")
        #expect(configuration.peers[.tag] == WireEndpoint(host: "127.0.0.1", port: 7104))
        #expect(configuration.logLevel == .info)
    }

    @Test func environmentFillsWhatFlagsLeaveOpen() throws {
        let environment = [
            "CLEARSKY_DATA_DIR": "/srv/clearsky", "CLEARSKY_BASE_PORT": "9000", "CLEARSKY_AUTH_ADDR": "auth:7101",
            "CLEARSKY_LOG_LEVEL": "DEBUG",
        ]
        let configuration = try ServiceOptions.parse(["--data-dir", "/flag/wins"]).resolve(
            for: .tag, environment: environment)
        #expect(configuration.dataDirectory == "/flag/wins")
        #expect(configuration.listen.port == 9004)
        #expect(configuration.peers[.auth] == WireEndpoint(host: "auth", port: 7101))
        #expect(configuration.peers[.process]?.port == 9003)
        #expect(configuration.logLevel == .debug)
    }

    @Test func badValuesAreClearErrors() throws {
        #expect(throws: ValidationError.self) {
            try ServiceOptions.parse(["--listen", "nowhere"]).resolve(for: .auth, environment: [:])
        }
        #expect(throws: ValidationError.self) {
            try ServiceOptions.parse(["--log-level", "loud"]).resolve(for: .auth, environment: [:])
        }
        #expect(throws: ValidationError.self) {
            try ServiceOptions.parse([]).resolve(for: .auth, environment: ["CLEARSKY_BASE_PORT": "x"])
        }
        #expect(throws: ValidationError.self) {
            try ServiceOptions.parse(["--store", "host:99999"]).resolve(for: .auth, environment: [:])
        }
    }

    @Test func secretFilesMustHoldEnoughHex() throws {
        #expect(throws: WireError.self) { try ClusterSecret.load(from: "/nonexistent/secret") }
    }
}
