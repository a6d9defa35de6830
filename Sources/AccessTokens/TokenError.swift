/// Why a token was not accepted. Every case reads as `NotAuthorized` to a client.
public enum TokenError: Error, Sendable, Equatable {
    /// Not three base64url parts, or a header or payload that is not the expected JSON.
    case malformed
    /// `alg` is anything but HS256 (`none` included).
    case unsupportedAlgorithm(String)
    /// No key with this `kid`; the caller may refresh its keys once and retry.
    case unknownKey(String)
    case badSignature
    case expired
    case wrongUse
    case wrongIssuer
    /// Issued to another client (`client_id` / `aud`).
    case wrongAudience
    /// Issued (`iat`) further in the future than the clock leeway allows.
    case notYetValid
}
