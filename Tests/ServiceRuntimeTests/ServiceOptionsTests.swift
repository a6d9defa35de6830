import ArgumentParser
import Contracts
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
        #expect(configuration.peers[.tag] == [WireEndpoint(host: "127.0.0.1", port: 7104)])
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
        #expect(configuration.peers[.auth] == [WireEndpoint(host: "auth", port: 7101)])
        #expect(configuration.peers[.process]?.map(\.port) == [9003])
        #expect(configuration.logLevel == .debug)
    }

    @Test func aServiceRunningAsReplicasHasSeveralAddresses() throws {
        let configuration = try ServiceOptions.parse(["--tag", "tag-a:7104, tag-b:7104"]).resolve(
            for: .gateway, environment: ["CLEARSKY_STORE_ADDR": "store-a:7102,store-b:7102,store-c:7102"])
        #expect(
            configuration.peers[.tag] == [
                WireEndpoint(host: "tag-a", port: 7104), WireEndpoint(host: "tag-b", port: 7104),
            ])
        #expect(configuration.peers[.store]?.map(\.host) == ["store-a", "store-b", "store-c"])
        for bad in ["a:1,", "a:1,,b:2", "a:1,a:1", "a:1,b", String(repeating: "a:1,", count: 64) + "b:2"] {
            #expect(throws: ValidationError.self, "\(bad)") {
                try ServiceOptions.parse(["--tag", bad]).resolve(for: .gateway, environment: [:])
            }
        }
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

    @Test func integerSettingsTakeTheFlagThenTheVariableAndCheckBoth() throws {
        let environment = ["CLEARSKY_WORKERS": "3", "CLEARSKY_BAD": "three", "CLEARSKY_EMPTY": ""]
        func workers(_ flag: Int?, _ variable: String = "CLEARSKY_WORKERS") throws -> Int? {
            try integerSetting(flag, flagName: "workers", variable: variable, in: 1...256, environment: environment)
        }
        #expect(try workers(5) == 5)
        #expect(try workers(nil) == 3)
        #expect(try workers(nil, "CLEARSKY_UNSET") == nil)
        #expect(try workers(nil, "CLEARSKY_EMPTY") == nil)
        #expect(throws: ValidationError.self) { try workers(nil, "CLEARSKY_BAD") }
        #expect(throws: ValidationError.self) { try workers(0) }
        #expect(throws: ValidationError.self) { try workers(257) }
        #expect(throws: ValidationError.self) {
            try integerSetting(-1, flagName: "cache-mb", variable: "X", in: 0...Int.max, environment: [:])
        }
    }
}
