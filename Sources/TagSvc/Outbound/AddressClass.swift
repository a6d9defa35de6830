import NetworkAddresses

/// What kind of address a webhook target resolved to. Only `publicUnicast` is reachable by default.
enum AddressClass: String, Sendable, CaseIterable {
    case publicUnicast = "public unicast"
    case unspecified, loopback
    case privateUse = "private"
    case sharedCGNAT = "carrier-grade NAT"
    case linkLocal = "link-local"
    case multicast, broadcast
    case uniqueLocal = "unique local"
    case ipv4Mapped = "IPv4-mapped"
    case ipv4Compatible = "IPv4-compatible"
    case sixToFour = "6to4"
    case nat64 = "NAT64"
    /// Documentation, benchmarking, protocol assignments, discard, site-local and other reserved space.
    case reserved

    /// The class of `address`, from the IANA special-purpose registries (RFC 6890 and successors).
    init(_ address: IPAddress) {
        for (range, kind) in Self.table where range.contains(address) {
            self = kind
            return
        }
        if case .v6 = address {
            // Of IPv6, only 2000::/3 is global unicast; the rest is unassigned or special.
            self = AddressRange("2000::/3")!.contains(address) ? .publicUnicast : .reserved
        } else {
            self = .publicUnicast
        }
    }

    /// Most specific first: the first range that holds an address decides.
    static let table: [(AddressRange, AddressClass)] =
        ([

            ("0.0.0.0/32", .unspecified), ("0.0.0.0/8", .reserved), ("10.0.0.0/8", .privateUse),
            ("100.64.0.0/10", .sharedCGNAT), ("127.0.0.0/8", .loopback), ("169.254.0.0/16", .linkLocal),
            ("172.16.0.0/12", .privateUse), ("192.0.0.0/24", .reserved), ("192.0.2.0/24", .reserved),
            ("192.88.99.0/24", .sixToFour), ("192.168.0.0/16", .privateUse), ("198.18.0.0/15", .reserved),
            ("198.51.100.0/24", .reserved), ("203.0.113.0/24", .reserved), ("224.0.0.0/4", .multicast),
            ("255.255.255.255/32", .broadcast), ("240.0.0.0/4", .reserved),
            ("::/128", .unspecified), ("::1/128", .loopback), ("::ffff:0:0/96", .ipv4Mapped),
            ("::/96", .ipv4Compatible), ("64:ff9b::/96", .nat64), ("64:ff9b:1::/48", .nat64), ("100::/64", .reserved),
            ("2001:db8::/32", .reserved), ("2001::/23", .reserved), ("2002::/16", .sixToFour), ("3fff::/20", .reserved),
            ("fc00::/7", .uniqueLocal), ("fe80::/10", .linkLocal), ("fec0::/10", .reserved), ("ff00::/8", .multicast),
        ] as [(String, AddressClass)]).map { (AddressRange($0.0)!, $0.1) }
}
