import HTTPTypes
import NetworkAddresses
import Testing

@testable import Gateway

/// M9: the address AuthSvc throttles by.
@Suite struct ClientAddressTests {
    let proxies = [AddressRange("10.0.0.0/8")!, AddressRange("fd00::/8")!]

    private func key(_ peer: String, _ forwarded: [String] = [], trusted: [AddressRange]? = nil) -> String {
        var headers = HTTPFields()
        for value in forwarded { headers.append(HTTPField(name: ClientAddress.forwardedFor, value: value)) }
        return ClientAddress.key(peer: peer, headers: headers, trusted: trusted ?? proxies)
    }

    @Test func anUntrustedPeerIsTheClientWhateverItClaims() {
        #expect(key("203.0.113.5", ["198.51.100.1"]) == "203.0.113.5")
        #expect(key("203.0.113.5", ["198.51.100.1"], trusted: []) == "203.0.113.5")
    }

    @Test func behindTrustedProxiesTheRightmostUntrustedHopIsTheClient() {
        #expect(key("10.0.0.2", ["198.51.100.7"]) == "198.51.100.7")
        // The client wrote the leftmost entry itself; the proxies appended the rest.
        #expect(key("10.0.0.2", ["1.2.3.4, 198.51.100.7, 10.0.0.9"]) == "198.51.100.7")
        #expect(key("10.0.0.2", ["1.2.3.4", "198.51.100.7", "10.0.0.9"]) == "198.51.100.7")
        // Garbage ends the walk at the last address that was read.
        #expect(key("10.0.0.2", ["<script>, 10.0.0.9"]) == "10.0.0.9")
        #expect(key("10.0.0.2", []) == "10.0.0.2")
        #expect(key("::ffff:10.0.0.2", ["198.51.100.7"]) == "198.51.100.7")
    }

    @Test func anIPv6ClientIsKeyedByItsSlash64() {
        let a = key("2001:db8:1:2:aaaa:bbbb:cccc:dddd")
        let b = key("2001:db8:1:2::1")
        #expect(a == b && a == "2001:db8:1:2::/64")
        #expect(key("2001:db8:1:3::1") != a)
        #expect(key("fd00::1", ["2001:db8:1:2:ffff::9"]) == a)
    }

    @Test func aPeerThatIsNotAnAddressIsKeptAsItIs() {
        #expect(key("unknown") == "unknown")
    }
}
