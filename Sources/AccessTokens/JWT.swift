import Foundation
import Wire

/// JSON Web Tokens signed with HMAC-SHA256 (OpenSSL), with a `kid` naming the key.
public enum JWT {
    /// The compact form `header.payload.signature`.
    public static func sign(_ claims: TokenClaims, with key: SigningKey) -> String {
        let header = #"{"alg":"HS256","kid":"\#(key.kid)","typ":"JWT"}"#
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        // TokenClaims holds only strings, integers and booleans: encoding cannot fail.
        let payload = try! encoder.encode(claims)
        let signingInput = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(payload)
        let signature = Array(signingInput.utf8).withUnsafeBytes { Crypto.hmacSHA256(key: key.secret, message: $0) }
        return signingInput + "." + Base64URL.encode(signature)
    }

    /// The claims of a token that is well formed, HS256, signed by a key `key(kid)` returns, of the
    /// expected use and issuer, and not expired at `now` (seconds since 1970). Checks run in that order;
    /// nothing of the payload is trusted before the signature is.
    public static func verify(
        _ token: String, use: TokenClaims.TokenUse, issuer: String, now: Int, key: (String) -> SigningKey?
    ) throws(TokenError) -> TokenClaims {
        let bytes = Array(token.utf8)
        guard bytes.count <= 8192 else { throw .malformed }
        let dots = bytes.indices.filter { bytes[$0] == UInt8(ascii: ".") }
        guard dots.count == 2 else { throw .malformed }
        let headerPart = bytes[..<dots[0]]
        let payloadPart = bytes[(dots[0] + 1)..<dots[1]]
        let signaturePart = bytes[(dots[1] + 1)...]
        guard let headerBytes = Base64URL.decode(headerPart), let header = FlatJSON.parse(headerBytes) else {
            throw .malformed
        }
        guard case .string(let algorithm)? = header["alg"] else { throw .malformed }
        guard algorithm == "HS256" else { throw .unsupportedAlgorithm(algorithm) }
        guard case .string(let kid)? = header["kid"] else { throw .malformed }
        guard let signingKey = key(kid) else { throw .unknownKey(kid) }
        guard let signature = Base64URL.decode(signaturePart) else { throw .malformed }
        let expected = bytes[..<dots[1]].withUnsafeBytes { Crypto.hmacSHA256(key: signingKey.secret, message: $0) }
        guard Crypto.constantTimeEqual(signature, expected) else { throw .badSignature }
        guard let payloadBytes = Base64URL.decode(payloadPart), let payload = FlatJSON.parse(payloadBytes),
            let claims = claims(payload)
        else { throw .malformed }
        guard claims.iss == issuer else { throw .wrongIssuer }
        guard claims.tokenUse == use else { throw .wrongUse }
        guard now < claims.exp else { throw .expired }
        return claims
    }

    private static func claims(_ object: [String: FlatJSON.Value]) -> TokenClaims? {
        func string(_ key: String) -> String? {
            if case .string(let value)? = object[key] { return value }
            return nil
        }
        func integer(_ key: String) -> Int? {
            if case .number(let value)? = object[key], value == value.rounded(), abs(value) < 1e15 { return Int(value) }
            return nil
        }
        guard let sub = string("sub"), let iss = string("iss"),
            let use = string("token_use").flatMap(TokenClaims.TokenUse.init(rawValue:)),
            let authTime = integer("auth_time"), let iat = integer("iat"), let exp = integer("exp"),
            let jti = string("jti"), let originJti = string("origin_jti"), let username = string("username"),
            let clientId = string("client_id") ?? string("aud")
        else { return nil }
        var emailVerified: Bool?
        if case .bool(let value)? = object["email_verified"] { emailVerified = value }
        return TokenClaims(
            sub: sub, iss: iss, tokenUse: use, authTime: authTime, iat: iat, exp: exp, jti: jti, originJti: originJti,
            username: username, clientId: clientId, email: string("email"), emailVerified: emailVerified)
    }
}
