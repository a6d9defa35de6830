/// A typed remote method: its stable id on the wire and the types it carries.
public struct Method<Request: Codable & Sendable, Response: Codable & Sendable>: Sendable {
    /// Stable across versions; never reused for another meaning.
    public let id: UInt32
    /// For logs and metrics.
    public let name: String
    /// Who may call it over Wire with TLS (the access list; plain Wire admits every holder of the secret).
    public let callers: WireCallers

    public init(id: UInt32, name: String, callers: WireCallers = .anyPeer) {
        self.id = id
        self.name = name
        self.callers = callers
    }
}

/// Nothing: the request or response of a method that needs none.
public struct Empty: Codable, Sendable, Hashable {
    public init() {}
}
