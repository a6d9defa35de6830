import ClusterCertificates
import Foundation
import Testing
import WireTesting

@testable import Wire

/// Wire over TLS 1.3 with mutual authentication (issue 25): only certificates of the cluster's CA get in,
/// a client talks only to the service it asked for, and each method admits the callers its access list
/// names, on both serving paths.
@Suite struct TLSTests {
    /// Who the handler saw, for checking the identity reaches it.
    static let whoAmI = Method<Empty, String>(id: 20, name: "test.whoAmI")
    /// Only the gateway may call these: one runs in a task, one on the event loop.
    static let gatewayOnly = Method<Echo, Echo>(id: 21, name: "test.gatewayOnly", callers: .only("Gateway"))
    static let gatewayOnlyOnLoop = Method<Echo, Echo>(
        id: 22, name: "test.gatewayOnlyOnLoop", callers: .only("Gateway"))

    static func router() -> WireRouter {
        var router = testRouter()
        router.register(whoAmI) { _, context in "\(context.peer)" }
        router.register(gatewayOnly) { request, _ in request }
        router.registerOnEventLoop(gatewayOnlyOnLoop) { request, _ in request }
        return router
    }

    static let echo = Echo(text: "over TLS", payload: Array(0..<200))

    @Test func certifiedPeersCallAndTheirIdentityReachesTheHandler() async throws {
        let certificates = try TestCertificates()
        try await withWireServer(service: "StoreSvc", router: Self.router(), tls: certificates.tls(for: "StoreSvc")) {
            harness in
            let gateway = harness.client(tls: try certificates.tls(for: "Gateway"))
            #expect(try await gateway.call(TestMethods.echo, Self.echo) == Self.echo)
            #expect(try await gateway.call(Self.whoAmI, Empty()) == "gateway")
            // Large frames cross TLS records intact.
            let big = [Int](repeating: 3, count: 300_000)
            #expect(try await gateway.call(TestMethods.numbers, big) == 900_000)
        }
    }

    @Test func aMethodAdmitsOnlyTheCallersItsAccessListNames() async throws {
        let certificates = try TestCertificates()
        try await withWireServer(service: "StoreSvc", router: Self.router(), tls: certificates.tls(for: "StoreSvc")) {
            harness in
            let gateway = harness.client(tls: try certificates.tls(for: "Gateway"))
            let tagSvc = harness.client(tls: try certificates.tls(for: "TagSvc"))
            for method in [Self.gatewayOnly, Self.gatewayOnlyOnLoop] {
                #expect(try await gateway.call(method, Self.echo) == Self.echo)
                let refused = await #expect(throws: WireError.self) { try await tagSvc.call(method, Self.echo) }
                #expect(refused?.code == .permissionDenied, "\(method.name)")
                #expect(refused?.message.contains("tagsvc may not call \(method.name)") == true)
            }
            // Methods open to every peer stay open, and a refusal does not close the connection.
            #expect(try await tagSvc.call(TestMethods.echo, Self.echo) == Self.echo)
        }
    }

    @Test func plainWireAdmitsEveryHolderOfTheSecret() async throws {
        let (echoed, caller) = try await withWireServer(service: "StoreSvc", router: Self.router()) { harness in
            (
                try await harness.client().call(Self.gatewayOnly, Self.echo),
                try await harness.client().call(Self.whoAmI, Empty())
            )
        }
        #expect(echoed == Self.echo)
        #expect(caller == "a holder of the cluster secret")
    }

    @Test func aCertificateFromAnotherCAIsRefusedBothWays() async throws {
        let cluster = try TestCertificates()
        let stranger = try TestCertificates()
        try await withWireServer(service: "StoreSvc", router: Self.router(), tls: cluster.tls(for: "StoreSvc")) {
            harness in
            // A client whose certificate another CA issued (its CA is not the cluster's either).
            let outsider = harness.client(tls: try stranger.tls(for: "Gateway"))
            let error = await #expect(throws: WireError.self) { try await outsider.call(TestMethods.echo, Self.echo) }
            #expect(error?.code == .unauthenticated)
            // The server still serves its own cluster.
            let gateway = harness.client(tls: try cluster.tls(for: "Gateway"))
            #expect(try await gateway.call(TestMethods.echo, Self.echo) == Self.echo)
        }
        try await withWireServer(service: "StoreSvc", router: Self.router(), tls: stranger.tls(for: "StoreSvc")) {
            harness in
            // A server the client's CA did not certify.
            let gateway = harness.client(tls: try cluster.tls(for: "Gateway"))
            let error = await #expect(throws: WireError.self) { try await gateway.call(TestMethods.echo, Self.echo) }
            #expect(error?.code == .unauthenticated)
        }
    }

    @Test func aClientTalksOnlyToTheServiceItAskedFor() async throws {
        let certificates = try TestCertificates()
        // TagSvc's certificate on a server that claims (in HELLO) to be StoreSvc.
        try await withWireServer(service: "StoreSvc", router: Self.router(), tls: certificates.tls(for: "TagSvc")) {
            harness in
            let gateway = harness.client(tls: try certificates.tls(for: "Gateway"))
            let error = await #expect(throws: WireError.self) { try await gateway.call(TestMethods.echo, Self.echo) }
            #expect(error?.code == .unauthenticated, "\(String(describing: error))")
        }
    }

    @Test func anExpiredCertificateIsRefused() async throws {
        // Issued three years ago for two years.
        let old = try TestCertificates(issuedAt: Date().addingTimeInterval(-3 * 365 * 86_400))
        try await withWireServer(service: "StoreSvc", router: Self.router(), tls: old.tls(for: "StoreSvc")) {
            harness in
            let gateway = harness.client(tls: try old.tls(for: "Gateway"))
            let error = await #expect(throws: WireError.self) { try await gateway.call(TestMethods.echo, Self.echo) }
            #expect(error?.code == .unauthenticated)
        }
    }

    @Test func plainAndTLSPeersDoNotTalk() async throws {
        let certificates = try TestCertificates()
        try await withWireServer(service: "StoreSvc", router: Self.router(), tls: certificates.tls(for: "StoreSvc")) {
            harness in
            let plain = await #expect(throws: WireError.self) {
                try await harness.client().call(TestMethods.echo, Self.echo)
            }
            // The plain client says why, rather than reporting a frame hundreds of megabytes long.
            #expect(plain?.code == .failedPrecondition)
            #expect(plain?.message.contains("speaks TLS") == true)
            // Nothing a plain client sent is served, and the server is still up.
            let gateway = harness.client(tls: try certificates.tls(for: "Gateway"))
            #expect(try await gateway.call(TestMethods.echo, Self.echo) == Self.echo)
        }
        try await withWireServer(service: "StoreSvc", router: Self.router()) { harness in
            let client = harness.client(tls: try certificates.tls(for: "Gateway"))
            await #expect(throws: WireError.self) { try await client.call(TestMethods.echo, Self.echo) }
        }
    }

    @Test func plainWireStaysOnLoopback() async throws {
        let server = WireServer(
            configuration: WireServerConfiguration(host: "0.0.0.0", service: "StoreSvc"), router: Self.router(),
            secret: WireHarness.secret, logger: .init(label: "test"))
        let error = await #expect(throws: WireError.self) { try await server.run() }
        #expect(error?.code == .failedPrecondition)
        #expect(error?.message.contains("loopback") == true)
        // A plain client will not send the secret's proof (or anything after it) off the machine either.
        let client = WireClient(
            endpoint: WireEndpoint(host: "198.18.0.1", port: 7102), service: "StoreSvc", secret: WireHarness.secret)
        let refused = await #expect(throws: WireError.self) { try await client.call(TestMethods.echo, Self.echo) }
        #expect(refused?.code == .failedPrecondition)
        #expect(WireEndpoint.isLoopback("127.0.0.1") && WireEndpoint.isLoopback("127.9.8.7"))
        #expect(WireEndpoint.isLoopback("::1") && WireEndpoint.isLoopback("localhost"))
        #expect(!WireEndpoint.isLoopback("0.0.0.0") && !WireEndpoint.isLoopback("127.0.0.1.example.com"))
        #expect(!WireEndpoint.isLoopback("10.0.0.1") && !WireEndpoint.isLoopback("1270.0.0.1"))
    }

    @Test func aCertificateMustNameTheIdentityItIsLoadedFor() async throws {
        let certificates = try TestCertificates()
        _ = try certificates.tls(for: "TagSvc")
        let folder = certificates.folder
        let read = { (path: String) in Array(FileManager.default.contents(atPath: path) ?? Data()) }
        let error = #expect(throws: WireError.self) {
            try WireTLS(
                identity: "Gateway", caPEM: read(folder.caCertificatePath),
                certificatePEM: read(folder.certificatePath("tagsvc")), privateKeyPEM: read(folder.keyPath("tagsvc")))
        }
        #expect(error?.message.contains("names tagsvc, not Gateway") == true)
        #expect(throws: WireError.self) {
            try WireTLS(identity: "TagSvc", caPEM: [1, 2, 3], certificatePEM: [], privateKeyPEM: [])
        }
    }
}

/// `clearsky certs`' folder: private, idempotent, renewing what needs it.
@Suite struct CertificateFolderTests {
    @Test func createsACAAndPrivateKeysOnceAndRenewsOnRequest() throws {
        let folder = CertificateFolder(try temporaryFolder() + "/certs")
        defer { try? FileManager.default.removeItem(atPath: folder.path) }
        let members = [
            CertificateFolder.Member(file: "store", identity: "StoreSvc"),
            CertificateFolder.Member(file: "gateway", identity: "Gateway"),
        ]
        let first = try folder.create(members: members)
        #expect(
            Set(first.map { URL(fileURLWithPath: $0).lastPathComponent }) == [
                "ca.pem", "ca.key", "store.pem", "store.key", "gateway.pem", "gateway.key",
            ])
        func mode(_ path: String) throws -> Int {
            try (FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
        }
        #expect(try mode(folder.path) == 0o700)
        #expect(try mode(folder.caKeyPath) == 0o600)
        #expect(try mode(folder.keyPath("store")) == 0o600)
        // A second run writes nothing; --renew issues new certificates from the same CA.
        #expect(try folder.create(members: members).isEmpty)
        let caBefore = FileManager.default.contents(atPath: folder.caCertificatePath)
        let storeBefore = FileManager.default.contents(atPath: folder.certificatePath("store"))
        let renewed = try folder.create(members: members, renew: true)
        #expect(renewed.count == 4)
        #expect(FileManager.default.contents(atPath: folder.caCertificatePath) == caBefore)
        #expect(FileManager.default.contents(atPath: folder.certificatePath("store")) != storeBefore)
        // What it wrote loads as each identity's TLS.
        #expect(try folder.tls(for: members[0]).identity == "StoreSvc")
    }

    @Test func reissuesACertificateNearItsEnd() throws {
        let folder = CertificateFolder(try temporaryFolder() + "/certs")
        defer { try? FileManager.default.removeItem(atPath: folder.path) }
        let store = CertificateFolder.Member(file: "store", identity: "StoreSvc")
        // Issued 23.5 months ago: two weeks left, inside the 30-day window.
        try folder.create(members: [store], now: Date().addingTimeInterval(-(2 * 365 - 14) * 86_400))
        #expect(try folder.create(members: [store]).count == 2)
        #expect(try folder.create(members: [store]).isEmpty)
        // A CA key missing next to its certificate cannot issue: a clear error, nothing overwritten.
        try FileManager.default.removeItem(atPath: folder.caKeyPath)
        let error = #expect(throws: WireError.self) { try folder.create(members: [store], renew: true) }
        #expect(error?.message.contains("ca.key") == true)
    }
}
