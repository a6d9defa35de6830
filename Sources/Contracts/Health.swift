import Wire

/// Methods every service serves, whatever its bounded context. Ids 1–99 are reserved for these.
public enum CommonContract {
    /// Liveness and readiness of one service.
    public static let health = Method<Empty, HealthStatus>(id: 1, name: "health")
}

/// What a service says about itself.
public struct HealthStatus: Codable, Sendable, Hashable {
    /// Whether the service can do its work.
    public enum State: String, Codable, Sendable {
        case serving, degraded, starting
    }

    public var service: String
    public var state: State
    public var version: String
    public var uptimeSeconds: Double
    /// Named checks (database, folders, model) and what they found.
    public var checks: [String: String]

    public init(service: String, state: State, version: String, uptimeSeconds: Double, checks: [String: String] = [:]) {
        self.service = service
        self.state = state
        self.version = version
        self.uptimeSeconds = uptimeSeconds
        self.checks = checks
    }

    enum CodingKeys: Int, CodingKey {
        case service = 1, state, version, uptimeSeconds, checks
    }
}

/// The release these binaries belong to.
public enum ClearskyVersion {
    public static let current = "0.1.0"
}
