import COpenSSL
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
        let signature = Array(signingInput.utf8).withUnsafeBytes { key.hmac.authenticate($0) }
        return signingInput + "." + Base64URL.encode(signature)
    }

    /// The claims of a token that is well formed, HS256, signed by a key `key(kid)` returns, of the
    /// expected use and issuer, and not expired at `now` (seconds since 1970). Checks run in that order;
    /// nothing of the payload is trusted before the signature is.
    public static func verify(
        _ token: String, use: TokenClaims.TokenUse, issuer: String, now: Int, key: (String) -> SigningKey?
    ) throws(TokenError) -> TokenClaims {
        var token = token
        let outcome: Result<TokenClaims, TokenError> = token.withUTF8 { bytes in
            do throws(TokenError) { return .success(try verify(bytes, key: key)) } catch { return .failure(error) }
        }
        let claims = try outcome.get()
        guard claims.iss == issuer else { throw .wrongIssuer }
        guard claims.tokenUse == use else { throw .wrongUse }
        guard now < claims.exp else { throw .expired }
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
        guard let headerBytes = Base64URL.decode(bytes[..<first]) else { throw .malformed }
        var algorithm: String?
        var kid: String?
        let headerParsed = FlatJSON.visit(headerBytes) { name, value in
            guard case .string(let text) = value else { return true }
            if name.elementsEqual("alg".utf8) {
                guard algorithm == nil else { return false }
                algorithm = text
            } else if name.elementsEqual("kid".utf8) {
                guard kid == nil else { return false }
                kid = text
            }
            return true
        }
        guard headerParsed, let algorithm else { throw .malformed }
        guard algorithm == "HS256" else { throw .unsupportedAlgorithm(algorithm) }
        guard let kid else { throw .malformed }
        guard let signingKey = key(kid) else { throw .unknownKey(kid) }
        // The signature is compared in its encoded form: an HS256 signature is always 43 characters, and
        // only the canonical encoding of the right digest matches.
        let signature = bytes[(second + 1)...]
        let encodedLength = Base64URL.encodedLength(HMACKey.digestSize)
        guard signature.count == encodedLength else {
            throw signature.allSatisfy(Base64URL.isAlphabet) ? .badSignature : .malformed
        }
        let matches = withUnsafeTemporaryAllocation(
            of: UInt8.self, capacity: HMACKey.digestSize + encodedLength
        ) { scratch in
            let digest = scratch.baseAddress!
            let encoded = digest + HMACKey.digestSize
            signingKey.hmac.authenticate(
                UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[..<second])), into: digest)
            Base64URL.encode(UnsafeBufferPointer(start: digest, count: HMACKey.digestSize), into: encoded)
            return CRYPTO_memcmp(encoded, bytes.baseAddress! + second + 1, encodedLength) == 0
        }
        guard matches else { throw .badSignature }
        guard let payloadBytes = Base64URL.decode(bytes[(first + 1)..<second]), let claims = claims(payloadBytes) else {
            throw .malformed
        }
        return claims
    }

    private static func claims(_ payload: [UInt8]) -> TokenClaims? {
        var strings = [String?](repeating: nil, count: stringClaims.count)
        var integers = [Int?](repeating: nil, count: integerClaims.count)
        var emailVerified: Bool?
        let parsed = FlatJSON.visit(payload) { name, value in
            switch value {
            case .string(let text):
                if let slot = stringClaims.firstIndex(where: { same(name, $0) }) {
                    guard strings[slot] == nil else { return false }
                    strings[slot] = text
                }
            case .number(let number):
                if let slot = integerClaims.firstIndex(where: { same(name, $0) }) {
                    guard integers[slot] == nil, number == number.rounded(), abs(number) < 1e15 else { return false }
                    integers[slot] = Int(number)
                }
            case .bool(let flag):
                if name.elementsEqual("email_verified".utf8) { emailVerified = flag }
            case .null:
                break
            }
            return true
        }
        guard parsed, let sub = strings[0], let iss = strings[1],
            let use = strings[2].flatMap(TokenClaims.TokenUse.init(rawValue:)), let jti = strings[3],
            let originJti = strings[4], let username = strings[5], let clientId = strings[6] ?? strings[7],
            let authTime = integers[0], let iat = integers[1], let exp = integers[2]
        else { return nil }
        return TokenClaims(
            sub: sub, iss: iss, tokenUse: use, authTime: authTime, iat: iat, exp: exp, jti: jti, originJti: originJti,
            username: username, clientId: clientId, email: strings[8], emailVerified: emailVerified)
    }

    /// Byte equality of a key and a claim name, length first.
    @inline(__always)
    private static func same(_ name: ArraySlice<UInt8>, _ claim: [UInt8]) -> Bool {
        guard name.count == claim.count else { return false }
        return name.withUnsafeBufferPointer { a in
            claim.withUnsafeBufferPointer { b in memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0 }
        }
    }

    private static let stringClaims: [[UInt8]] = [
        "sub", "iss", "token_use", "jti", "origin_jti", "username", "client_id", "aud", "email",
    ].map { Array($0.utf8) }
    private static let integerClaims: [[UInt8]] = ["auth_time", "iat", "exp"].map { Array($0.utf8) }
}
