import Contracts
import Foundation
import NetworkAddresses
import TestServers
import Testing
import Wire
import WireTesting

@testable import TagSvc

#if canImport(Glibc)
    import Glibc
#endif

/// H2: webhooks reach only public unicast addresses (and what the operator allows). The classifier is
/// tested as a unit over every range and spelling, without sending anything; through the service only
/// loopback targets are used, and a listening socket checks that nothing connected.
@Suite struct OutboundPolicyTests {
    @Test(arguments: [
        ("127.0.0.1", "127.0.0.1"), ("2130706433", "127.0.0.1"), ("0x7f000001", "127.0.0.1"), ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"), ("0177.0.0.1", "127.0.0.1"), ("127.0.0.1.", "127.0.0.1"),
        ("127.0.0.1..", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"), ("0", "0.0.0.0"), ("10.1", "10.0.0.1"), ("[::1]", "::1"), ("::1", "::1"),
        ("[::ffff:127.0.0.1]", "::ffff:127.0.0.1"), ("[::ffff:7f00:1]", "::ffff:127.0.0.1"),
        ("[0:0:0:0:0:0:0:1]", "::1"), ("8.8.8.8", "8.8.8.8"),
    ])
    func numericSpellingsParseAsTheCLibraryReadsThem(host: String, address: String) throws {
        #expect(try #require(IPAddress(host: host)).description == address)
    }

    @Test func namesAndBrokenNumbersAreNotAddresses() {
        for host in [
            "example.com", "localhost", "storesvc", "1.2.3.4.5", "256.1.1.1", "0x100000000", "09", "1..2",
            "[fe80::1%eth0]", "",
        ] {
            #expect(IPAddress(host: host) == nil, "\(host)")
        }
    }

    @Test(arguments: [
        ("0.0.0.0", AddressClass.unspecified), ("0.1.2.3", .reserved), ("10.20.30.40", .privateUse),
        ("100.64.0.1", .sharedCGNAT), ("100.127.255.255", .sharedCGNAT), ("127.0.0.1", .loopback),
        ("127.255.255.254", .loopback), ("169.254.169.254", .linkLocal), ("172.16.0.1", .privateUse),
        ("172.31.255.255", .privateUse), ("192.0.0.8", .reserved), ("192.0.2.1", .reserved),
        ("192.88.99.1", .sixToFour), ("192.168.1.1", .privateUse), ("198.18.0.1", .reserved),
        ("198.51.100.7", .reserved), ("203.0.113.9", .reserved), ("224.0.0.251", .multicast),
        ("239.255.255.250", .multicast), ("240.0.0.1", .reserved), ("255.255.255.255", .broadcast),
        ("::", .unspecified), ("::1", .loopback), ("::ffff:127.0.0.1", .ipv4Mapped), ("::ffff:8.8.8.8", .ipv4Mapped),
        ("::127.0.0.1", .ipv4Compatible), ("64:ff9b::7f00:1", .nat64), ("64:ff9b:1::1", .nat64),
        ("100::1", .reserved), ("2001:db8::1", .reserved), ("2001::1", .reserved), ("2002:7f00:1::1", .sixToFour),
        ("fc00::1", .uniqueLocal), ("fd12:3456::1", .uniqueLocal), ("fe80::1", .linkLocal), ("fec0::1", .reserved),
        ("ff02::1", .multicast), ("::2", .ipv4Compatible), ("4000::1", .reserved),
        // Public unicast, for contrast: these are classified, never contacted.
        ("8.8.8.8", .publicUnicast), ("1.1.1.1", .publicUnicast), ("172.32.0.1", .publicUnicast),
        ("100.128.0.1", .publicUnicast), ("2606:4700::1111", .publicUnicast),
    ])
    func everyAddressClass(address: String, expected: AddressClass) throws {
        #expect(AddressClass(try #require(IPAddress(host: address))) == expected)
    }

    /// A resolver stand-in: names map to fixed addresses, nothing is looked up.
    static func policy(_ names: [String: [String]], allow: [String] = []) -> OutboundPolicy {
        OutboundPolicy(
            allowed: allow.map { AddressRange($0)! },
            resolve: { name in (names[name] ?? []).compactMap { IPAddress(host: $0) } })
    }

    @Test func namesAreResolvedOnceAndEveryAddressMustPass() async throws {
        let policy = Self.policy([
            "hooks.example": ["8.8.8.8"], "rebind.example": ["8.8.8.8", "127.0.0.1"], "inside.example": ["10.0.0.5"],
            "nothing.example": [],
        ])
        #expect(try await policy.check("https://hooks.example/x").get().address == IPAddress(host: "8.8.8.8"))
        #expect(try await policy.check("https://hooks.example./x").get().host == "hooks.example.")
        #expect(
            await policy.check("http://rebind.example/")
                == .failure(.notAllowed("rebind.example", IPAddress(host: "127.0.0.1")!, .loopback)))
        #expect(
            await policy.check("http://inside.example/")
                == .failure(.notAllowed("inside.example", IPAddress(host: "10.0.0.5")!, .privateUse)))
        #expect(await policy.check("http://nothing.example/") == .failure(.noAddress("nothing.example")))
        for url in ["ftp://8.8.8.8/", "http:///x", "http://user:pw@8.8.8.8/", "javascript:alert(1)", "http://[::1"] {
            #expect(await policy.check(url) == .failure(.notHTTP), "\(url)")
        }
        for host in [
            "2130706433", "0x7f000001", "127.1", "[::ffff:127.0.0.1]", "[::1]", "0.0.0.0", "169.254.169.254",
            "[64:ff9b::a00:1]", "[2002:a00:1::]", "127.0.0.1.",
        ] {
            guard case .failure(.notAllowed) = await policy.check("http://\(host):8080/hook") else {
                Issue.record("\(host) was admitted")
                continue
            }
        }
    }

    @Test func theAllowListAdmitsChosenRanges() async throws {
        let policy = Self.policy(["receiver.test": ["127.0.0.1"]], allow: ["127.0.0.0/8", "fd00::/8"])
        #expect(try await policy.check("http://receiver.test:9000/").get().address.description == "127.0.0.1")
        #expect(try await policy.check("http://[::ffff:127.0.0.1]/").get().address.description == "::ffff:127.0.0.1")
        #expect(try await policy.check("http://[fd00::5]/").get().address.description == "fd00::5")
        guard case .failure(.notAllowed) = await policy.check("http://[::1]/") else {
            Issue.record("::1 is outside the allow-list")
            return
        }
        #expect(throws: WireError.self) { try OutboundPolicy.allowList("127.0.0.0/8,10.0.0.0/33") }
        #expect(try OutboundPolicy.allowList("127.0.0.0/8, ::1/128").count == 2)
    }

    /// A socket that listens on 127.0.0.1 and is never accepted from: whether anyone connected.
    final class Listener {
        let fd: Int32
        let port: Int

        init() throws {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            self.fd = fd
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                    bind(fd, pointer, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, pointer, &length) == 0
                }
            }
            try #require(bound)
            port = Int(UInt16(bigEndian: address.sin_port))
        }

        var somebodyConnected: Bool {
            var pending = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            return poll(&pending, 1, 0) > 0
        }

        deinit { close(fd) }
    }

    @Test func throughTheServiceLoopbackInEverySpellingIsRefusedAndNothingConnects() async throws {
        var settings = TagHarness.quickRetries
        settings.outbound.allowed = []
        try await TagHarness.run(settings: settings) { harness in
            let listener = try Listener()
            let owner = TagHarness.owner()
            let port = listener.port
            for host in [
                "127.0.0.1", "localhost", "2130706433", "0x7f000001", "127.1", "127.0.0.1.", "[::ffff:127.0.0.1]",
                "[::ffff:7f00:1]", "0177.0.0.1", "LOCALHOST.",
            ] {
                let request = SubscribeRequest(
                    owner: owner, tags: ["car"], channel: .webhook, target: "http://\(host):\(port)/hook",
                    publicBaseURL: "http://clearsky.test")
                do {
                    _ = try await harness.tag.call(TagContract.subscribe, request)
                    Issue.record("\(host) was accepted")
                } catch let error as WireError {
                    #expect(error.code == .webhookNotAllowed, "\(host): \(error)")
                    // Nothing about ports or connections in what the user reads.
                    #expect(error.message == OutboundPolicy.userMessage)
                }
            }
            #expect(!listener.somebodyConnected)
        }
    }

    @Test func redirectsAreNotFollowed() async throws {
        try await TagHarness.run { harness in
            let target = WebhookReceiver()
            try await target.run { targetURL in
                let redirecting = WebhookReceiver(redirectingTo: targetURL + "/stolen")
                try await redirecting.run { url in
                    let request = SubscribeRequest(
                        owner: TagHarness.owner(), tags: ["car"], channel: .webhook, target: url + "/hook",
                        publicBaseURL: "http://clearsky.test")
                    await #expect(throws: WireError.self) { try await harness.tag.call(TagContract.subscribe, request) }
                    #expect(redirecting.received.count == 1)
                    #expect(target.received.isEmpty)
                }
            }
        }
    }
}
