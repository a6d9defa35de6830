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

/// Who holds a certificate of the cluster (`clearsky certs`): the five processes, by their `ServiceName`,
/// and the operator's commands (`clearsky rotate-key`, `revoke-key`, `health`).
public enum ClusterIdentity {
    public static let operatorName = "Operator"
    public static let operatorFile = "operator"

    /// Every identity with the file name its certificate has in the certificate folder.
    public static let all: [(file: String, identity: String)] =
        ServiceName.allCases.map { ($0.key, $0.rawValue) } + [(operatorFile, operatorName)]
}

/// The access lists the contracts' methods carry (`Method.callers`), checked against the caller's
/// certificate over TLS.
extension WireCallers {
    public static let gateway = only(ServiceName.gateway.rawValue)
    public static let processSvc = only(ServiceName.process.rawValue)
    public static let tagSvc = only(ServiceName.tag.rawValue)
    public static let operatorCommands = only(ClusterIdentity.operatorName)
}
