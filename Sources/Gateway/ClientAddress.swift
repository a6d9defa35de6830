import Foundation
import HTTPTypes
import NetworkAddresses

/// The address AuthSvc throttles a request by (M9).
///
/// - Behind a reverse proxy every request arrives from the proxy, so when the peer is one of the
///   operator's trusted proxies (`--trusted-proxies`), the client is the rightmost `X-Forwarded-For`
///   entry that is not itself a trusted proxy. Entries to its left were written by the client and are
///   ignored; a peer that is not trusted is the client whatever it claims.
/// - An IPv6 client controls at least a /64, so its key is the /64 it is in; otherwise rotating the
///   low 64 bits would give a fresh budget per attempt.
enum ClientAddress {
    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!

    static func key(peer: String, headers: HTTPFields, trusted: [AddressRange]) -> String {
        guard var client = IPAddress(host: peer)?.unmapped else { return peer }
        if isTrusted(client, trusted) {
            let hops = headers[values: forwardedFor].flatMap { $0.split(separator: ",") }
            for hop in hops.reversed() {
                guard let address = IPAddress(host: hop.trimmingCharacters(in: .whitespaces))?.unmapped else {
                    break
                }
                client = address
                if !isTrusted(address, trusted) { break }
            }
        }
        return key(for: client)
    }

    /// The address itself for IPv4, its /64 for IPv6.
    static func key(for address: IPAddress) -> String {
        switch address {
        case .v4: return address.description
        case .v6(var bytes):
            for index in 8..<16 { bytes[index] = 0 }
            return "\(IPAddress.v6(bytes))/64"
        }
    }

    private static func isTrusted(_ address: IPAddress, _ trusted: [AddressRange]) -> Bool {
        trusted.contains { $0.contains(address) }
    }
}
