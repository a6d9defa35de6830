import Contracts
import Foundation
import NetworkAddresses
import ServiceRuntime
import Wire

#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

/// Where Clearsky's outbound HTTP (webhooks) may go: public unicast addresses only, unless the operator's
/// allow-list (`--webhook-allow` / `CLEARSKY_WEBHOOK_ALLOW`) admits a range. A target's name is resolved
/// once, every address it gives must be admitted, and the request then goes to that checked address
/// (pinned), so a second resolution cannot send it elsewhere (DNS rebinding).
struct OutboundPolicy: Sendable {
    /// Ranges admitted although they are not public (e.g. `127.0.0.0/8` for the tests' receivers).
    var allowed: [AddressRange] = []
    /// Resolves a name to its addresses; the C library's resolver unless a test gives another.
    var resolve: @Sendable (String) async -> [IPAddress] = { name in
        await Offload.run { OutboundPolicy.systemResolve(name) }
    }

    /// A target that passed the check: its URL, the name in it and the address to connect to.
    struct Pinned: Sendable, Equatable {
        var url: String
        var host: String
        var address: IPAddress
    }

    /// Why a target was refused, for the service's log; users see only `userMessage`.
    enum Refusal: Error, Equatable, CustomStringConvertible {
        case notHTTP
        case noAddress(String)
        case notAllowed(String, IPAddress, AddressClass)

        var description: String {
            switch self {
            case .notHTTP: "not an http(s) URL with a host"
            case .noAddress(let host): "\(host) has no address"
            case .notAllowed(let host, let address, let kind): "\(host) is \(address), a \(kind.rawValue) address"
            }
        }
    }

    static let userMessage = "The webhook target is not allowed"

    /// Parses the allow-list: comma-separated CIDR ranges. Throws naming the first one that is not one.
    static func allowList(_ text: String) throws(WireError) -> [AddressRange] {
        try text.split(separator: ",").map { part throws(WireError) in
            guard let range = AddressRange(String(part)) else {
                throw WireError(.invalidArgument, "'\(part)' is not a CIDR range (like 10.0.0.0/8 or fd00::/8)")
            }
            return range
        }
    }

    func admits(_ address: IPAddress) -> Bool {
        let unmapped = address.unmapped
        if allowed.contains(where: { $0.contains(address) || $0.contains(unmapped) }) { return true }
        return AddressClass(address) == .publicUnicast
    }

    /// The checked target of `url`, or the reason it is refused.
    func check(_ url: String) async -> Result<Pinned, Refusal> {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(),
            scheme == "http" || scheme == "https",
            let host = parsed.host, !host.isEmpty, parsed.user == nil, parsed.password == nil
        else { return .failure(.notHTTP) }
        let addresses: [IPAddress]
        if let numeric = IPAddress(host: host) {
            addresses = [numeric]
        } else {
            var name = Substring(host)
            while name.hasSuffix(".") { name = name.dropLast() }
            addresses = name.isEmpty ? [] : await resolve(String(name))
        }
        guard let first = addresses.first else { return .failure(.noAddress(host)) }
        // Every address must pass: a name that also points inside is refused, whichever one a later
        // connection would have picked.
        if let refused = addresses.first(where: { !admits($0) }) {
            return .failure(.notAllowed(host, refused, AddressClass(refused)))
        }
        return .success(Pinned(url: url, host: host, address: first))
    }

    /// getaddrinfo's TCP addresses for `name`; empty when it has none.
    static func systemResolve(_ name: String) -> [IPAddress] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(name, nil, &hints, &list) == 0, let list else { return [] }
        defer { freeaddrinfo(list) }
        var found: [IPAddress] = []
        var entry: UnsafeMutablePointer<addrinfo>? = list
        while let current = entry {
            if let address = current.pointee.ai_addr, let ip = IPAddress(socketAddress: address), !found.contains(ip) {
                found.append(ip)
            }
            entry = current.pointee.ai_next
        }
        return found
    }
}
