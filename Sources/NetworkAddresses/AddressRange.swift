import Foundation

/// A CIDR range (`10.0.0.0/8`, `fd00::/8`), for the classifier's table and the operator's allow-list.
public struct AddressRange: Hashable, Sendable, CustomStringConvertible {
    public let network: IPAddress
    public let prefix: Int

    /// Parses `address/prefix` (a bare address is /32 or /128); nil when either part is not valid.
    public init?(_ text: String) {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let address = IPAddress(host: String(parts[0])) else { return nil }
        let maximum = if case .v4 = address { 32 } else { 128 }
        if parts.count == 2 {
            guard let prefix = Int(parts[1]), parts[1].allSatisfy(\.isASCII), (0...maximum).contains(prefix) else {
                return nil
            }
            self.prefix = prefix
        } else {
            prefix = maximum
        }
        network = address
    }

    public func contains(_ address: IPAddress) -> Bool {
        switch (network, address) {
        case (.v4(let network), .v4(let value)):
            guard prefix > 0 else { return true }
            let mask = UInt32.max << UInt32(32 - prefix)
            return network & mask == value & mask
        case (.v6(let network), .v6(let value)):
            var bits = prefix
            for index in 0..<16 where bits > 0 {
                let take = min(8, bits)
                let mask = UInt8(truncatingIfNeeded: 0xff << (8 - take))
                if network[index] & mask != value[index] & mask { return false }
                bits -= take
            }
            return true
        default:
            return false
        }
    }

    public var description: String { "\(network)/\(prefix)" }
}
