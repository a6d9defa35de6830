import Wire

/// What the contracts tell Wire at start: the error codes they add to the transport's, by number and
/// name, and the contracts' version, which each side announces in its handshake.
public enum ContractRegistry {
    /// Raised when a contract changes in a way docs/wire.md's evolution rules call breaking; additions of
    /// optional fields and of methods do not raise it.
    public static let version: UInt32 = 1

    public static let errorCodes: [WireError.Code] =
        AuthContract.errorCodes + WireError.Code.imageCodes + WireError.Code.tagCodes

    /// Makes the codes known to Wire, so one read off the wire has its name, and announces `version` in
    /// handshakes (idempotent; every process that speaks Wire calls it at start: ServiceHost, the
    /// gateway, the test harnesses).
    public static func register() {
        WireError.Code.register(errorCodes)
        WireContracts.announce(version: version)
    }
}
