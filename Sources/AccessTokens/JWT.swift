import COpenSSL
import Foundation

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
        let signature = Array(signingInput.utf8).withUnsafeBytes { key.hmac.authenticate($0) }
        return signingInput + "." + Base64URL.encode(signature)
    }

    /// The claims of a token that is well formed, HS256, signed by a key `key(kid)` returns, of the
    /// expected use, issuer and (when given) audience, issued no later than `now + leeway` and not
    /// expired at `now - leeway` (seconds since 1970; the leeway absorbs clock drift between hosts).
    /// Checks run in that order; nothing of the payload is trusted before the signature is.
    public static func verify(
        _ token: String, use: TokenClaims.TokenUse, issuer: String, audience: String? = nil, now: Int,
        leeway: Int = 0, key: (String) -> SigningKey?
    ) throws(TokenError) -> TokenClaims {
        var token = token
        let outcome: Result<TokenClaims, TokenError> = token.withUTF8 { bytes in
            do throws(TokenError) { return .success(try verify(bytes, key: key)) } catch { return .failure(error) }
        }
        let claims = try outcome.get()
        guard claims.iss == issuer else { throw .wrongIssuer }
        guard claims.tokenUse == use else { throw .wrongUse }
        if let audience, claims.clientId != audience { throw .wrongAudience }
        // Saturating: `now`, `leeway` and the claims are integers a caller or a token chose.
        let leeway = max(0, leeway)
        let latest = now > Int.max - leeway ? Int.max : now + leeway
        let earliest = now < Int.min + leeway ? Int.min : now - leeway
        guard claims.iat <= latest else { throw .notYetValid }
        guard earliest < claims.exp else { throw .expired }
        return claims
    }

    /// The claims straight from the payload's members, without a dictionary in between.
    private static func verify(_ bytes: UnsafeBufferPointer<UInt8>, key: (String) -> SigningKey?) throws(TokenError)
        -> TokenClaims
    {
        guard bytes.count <= 8192 else { throw .malformed }
        var first = -1
        var second = -1
        for index in bytes.indices where bytes[index] == UInt8(ascii: ".") {
            if first < 0 {
                first = index
            } else if second < 0 {
                second = index
            } else {
                throw .malformed
            }
        }
        guard first >= 0, second >= 0 else { throw .malformed }
        // Header and payload are decoded into one stack buffer; nothing of the payload is read before the
        // signature checks.
        let header = UnsafeBufferPointer(rebasing: bytes[..<first])
        let payload = UnsafeBufferPointer(rebasing: bytes[(first + 1)..<second])
        let outcome = withUnsafeTemporaryAllocation(
            of: UInt8.self, capacity: (header.count + payload.count) * 3 / 4 + 2
        ) {
            scratch -> Result<TokenClaims, TokenError> in
            guard let headerLength = Base64URL.decode(header, into: scratch.baseAddress!) else {
                return .failure(.malformed)
            }
            var algorithm: String?
            var kid: String?
            let headerParsed = FlatJSON.visit(UnsafeBufferPointer(start: scratch.baseAddress!, count: headerLength)) {
                name, value in
                guard case .string(let text) = value else { return true }
                if same(name, "alg") {
                    guard algorithm == nil else { return false }
                    algorithm = text
                } else if same(name, "kid") {
                    guard kid == nil else { return false }
                    kid = text
                }
                return true
            }
            guard headerParsed, let algorithm else { return .failure(.malformed) }
            guard algorithm == "HS256" else { return .failure(.unsupportedAlgorithm(algorithm)) }
            guard let kid else { return .failure(.malformed) }
            guard let signingKey = key(kid) else { return .failure(.unknownKey(kid)) }
            // The signature is compared in its encoded form: an HS256 signature is always 43 characters, and
            // only the canonical encoding of the right digest matches.
            let signature = bytes[(second + 1)...]
            let encodedLength = Base64URL.encodedLength(HMACKey.digestSize)
            guard signature.count == encodedLength else {
                return .failure(signature.allSatisfy(Base64URL.isAlphabet) ? .badSignature : .malformed)
            }
            let matches = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: HMACKey.digestSize + encodedLength) {
                digestAndText in
                let digest = digestAndText.baseAddress!
                let encoded = digest + HMACKey.digestSize
                signingKey.hmac.authenticate(
                    UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[..<second])), into: digest)
                Base64URL.encode(UnsafeBufferPointer(start: digest, count: HMACKey.digestSize), into: encoded)
                return CRYPTO_memcmp(encoded, bytes.baseAddress! + second + 1, encodedLength) == 0
            }
            guard matches else { return .failure(.badSignature) }
            guard let payloadLength = Base64URL.decode(payload, into: scratch.baseAddress!),
                let claims = claims(UnsafeBufferPointer(start: scratch.baseAddress!, count: payloadLength))
            else { return .failure(.malformed) }
            return .success(claims)
        }
        return try outcome.get()
    }

    private static func claims(_ payload: UnsafeBufferPointer<UInt8>) -> TokenClaims? {
        var sub: String?
        var iss: String?
        var use: String?
        var jti: String?
        var originJti: String?
        var username: String?
        var clientId: String?
        var audience: String?
        var email: String?
        var authTime: Int?
        var iat: Int?
        var exp: Int?
        var emailVerified: Bool?
        /// Sets a claim once; a claim given twice makes the payload malformed.
        func once<T>(_ slot: inout T?, _ value: T) -> Bool {
            guard slot == nil else { return false }
            slot = value
            return true
        }
        let parsed = FlatJSON.visit(payload) { name, value in
            switch value {
            case .string(let text):
                if same(name, "sub") { return once(&sub, text) }
                if same(name, "iss") { return once(&iss, text) }
                if same(name, "token_use") { return once(&use, text) }
                if same(name, "jti") { return once(&jti, text) }
                if same(name, "origin_jti") { return once(&originJti, text) }
                if same(name, "username") { return once(&username, text) }
                if same(name, "client_id") { return once(&clientId, text) }
                if same(name, "aud") { return once(&audience, text) }
                if same(name, "email") { return once(&email, text) }
            case .number(let number):
                let isInteger = number == number.rounded() && abs(number) < 1e15
                if same(name, "auth_time") { return isInteger && once(&authTime, Int(number)) }
                if same(name, "iat") { return isInteger && once(&iat, Int(number)) }
                if same(name, "exp") { return isInteger && once(&exp, Int(number)) }
            case .bool(let flag):
                if same(name, "email_verified") { emailVerified = flag }
            case .null:
                break
            }
            return true
        }
        guard parsed, let sub, let iss, let use = use.flatMap(TokenClaims.TokenUse.init(rawValue:)), let jti,
            let originJti, let username, let clientId = clientId ?? audience, let authTime, let iat, let exp
        else { return nil }
        return TokenClaims(
            sub: sub, iss: iss, tokenUse: use, authTime: authTime, iat: iat, exp: exp, jti: jti, originJti: originJti,
            username: username, clientId: clientId, email: email, emailVerified: emailVerified)
    }

    /// Byte equality of a key and a claim name (a literal: ASCII, compared without a copy), length first.
    @inline(__always)
    private static func same(_ name: UnsafeBufferPointer<UInt8>, _ claim: StaticString) -> Bool {
        name.count == claim.utf8CodeUnitCount && memcmp(name.baseAddress!, claim.utf8Start, name.count) == 0
    }
}
