import Wire

/// Every error code the services' contracts add to the transport's, by number and name.
public enum ContractErrors {
    public static let all: [WireError.Code] =
        AuthContract.errorCodes + WireError.Code.imageCodes + WireError.Code.tagCodes

    /// Makes the codes known to Wire, so one read off the wire has its name (idempotent; every process
    /// that decodes replies calls it at start: ServiceHost, the gateway, the test harnesses).
    public static func register() {
        WireError.Code.register(all)
    }
}
