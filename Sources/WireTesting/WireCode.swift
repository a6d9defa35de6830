import Contracts
import Wire

/// The code of the `WireError` that `body` throws: nil when it throws nothing, `unknown` for another error.
public func wireCode(_ body: () async throws -> Void) async -> WireError.Code? {
    do {
        try await body()
        return nil
    } catch let error as WireError {
        return error.code
    } catch {
        return .unknown
    }
}
