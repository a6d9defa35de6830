import Wire

/// The processes of a Clearsky cluster, with the names they use in HELLO and their default ports.
public enum ServiceName: String, Sendable, CaseIterable, Codable {
    case auth = "AuthSvc"
    case store = "StoreSvc"
    case process = "ProcessSvc"
    case tag = "TagSvc"
    case gateway = "Gateway"

    /// Default loopback port; the gateway's is HTTP, the others Wire.
    public var defaultPort: Int {
        switch self {
        case .auth: 7101
        case .store: 7102
        case .process: 7103
        case .tag: 7104
        case .gateway: 8080
        }
    }

    /// Port in a cluster whose services sit at `base + 1 … base + 4` (the defaults use base 7100).
    public func port(base: Int) -> Int { base + defaultPort - 7100 }

    /// The gateway's own Wire port (for `health`), `base + 5`; its HTTP port is separate.
    public static func gatewayWirePort(base: Int) -> Int { base + 5 }

    /// The four Wire services behind the gateway.
    public static let backends: [ServiceName] = [.auth, .store, .process, .tag]

    /// Short lowercase name, used in flags, environment variables, folders and JSON.
    public var key: String {
        switch self {
        case .auth: "auth"
        case .store: "store"
        case .process: "process"
        case .tag: "tag"
        case .gateway: "gateway"
        }
    }
}
