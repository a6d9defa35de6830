/// A typed remote method: its stable id on the wire and the types it carries.
public struct Method<Request: Codable & Sendable, Response: Codable & Sendable>: Sendable {
    /// Stable across versions; never reused for another meaning.
    public let id: UInt32
    /// For logs and metrics.
    public let name: String

    public init(id: UInt32, name: String) {
        self.id = id
        self.name = name
    }
}

/// Nothing: the request or response of a method that needs none.
public struct Empty: Codable, Sendable, Hashable {
    public init() {}
}
