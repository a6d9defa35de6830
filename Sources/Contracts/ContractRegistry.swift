import Wire

/// What the contracts tell Wire at start: the error codes they add to the transport's, by number and
/// name, and the contracts' version, which each side announces in its handshake.
public enum ContractRegistry {
    /// Raised when a contract changes in a way docs/wire.md's evolution rules call breaking; additions of
    /// optional fields and of methods do not raise it.
    ///
    /// - 2: ProcessContract's operations travel typed (`[ImageOperation]`, new field numbers) instead of as JSON
    ///   text; gateways and ProcessSvc of version 1 and 2 do not understand each other's jobs.
    public static let version: UInt32 = 2

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
