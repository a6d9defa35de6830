import Contracts
import Foundation
import Testing
import Wire

@testable import AccessTokens

@Suite struct JWTTests {
    let key = SigningKey(kid: "k1", secret: Array(repeating: 7, count: 32))
    let now = 1_800_000_000

    func claims(use: TokenClaims.TokenUse = .access, exp: Int? = nil, iss: String = "clearsky") -> TokenClaims {
        TokenClaims(
            sub: "0b1e", iss: iss, tokenUse: use, authTime: now - 10, iat: now - 10, exp: exp ?? now + 3600, jti: "j1",
            originJti: "o1", username: "alice", clientId: "clearsky", email: use == .id ? "a@example.com" : nil,
            emailVerified: use == .id ? true : nil)
    }

    func verify(_ token: String, use: TokenClaims.TokenUse = .access) throws(TokenError) -> TokenClaims {
        try JWT.verify(token, use: use, issuer: "clearsky", now: now) { $0 == key.kid ? key : nil }
    }

    func part(_ json: String) -> String { Base64URL.encode(Array(json.utf8)) }

    @Test func signedTokensVerifyAndRoundTrip() throws {
        for use in [TokenClaims.TokenUse.access, .id] {
            let token = JWT.sign(claims(use: use), with: key)
            #expect(try verify(token, use: use) == claims(use: use))
        }
        // The id token names its client in `aud`, the access token in `client_id`, as Cognito's do.
        let payload = JWT.sign(claims(use: .id), with: key).split(separator: ".")[1]
        let json = String(decoding: Base64URL.decode(Array(payload.utf8))!, as: UTF8.self)
        #expect(json.contains(#""aud":"clearsky""#) && json.contains(#""token_use":"id""#))
    }

    @Test func algNoneIsRejected() {
        let token = JWT.sign(claims(), with: key).split(separator: ".")
        let none = part(#"{"alg":"none","kid":"k1","typ":"JWT"}"#) + "." + token[1] + "."
        #expect(throws: TokenError.unsupportedAlgorithm("none")) { try verify(none) }
        let hs512 = part(#"{"alg":"HS512","kid":"k1"}"#) + "." + token[1] + "." + token[2]
        #expect(throws: TokenError.unsupportedAlgorithm("HS512")) { try verify(hs512) }
    }

    @Test func anotherKeysSignatureIsRejected() {
        let forged = JWT.sign(claims(), with: SigningKey(kid: "k1", secret: Array(repeating: 8, count: 32)))
        #expect(throws: TokenError.badSignature) { try verify(forged) }
        let unknown = JWT.sign(claims(), with: SigningKey(kid: "k9", secret: key.secret))
        #expect(throws: TokenError.unknownKey("k9")) { try verify(unknown) }
    }

    @Test func aPayloadEditedAfterSigningIsRejected() {
        let parts = JWT.sign(claims(), with: key).split(separator: ".").map(String.init)
        var edited = claims()
        edited.sub = "someone-else"
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let payload = Base64URL.encode(try! encoder.encode(edited))
        #expect(throws: TokenError.badSignature) { try verify(parts[0] + "." + payload + "." + parts[2]) }
        // A signature with one bit flipped.
        var signature = Base64URL.decode(Array(parts[2].utf8))!
        signature[0] ^= 1
        #expect(throws: TokenError.badSignature) {
            try verify(parts[0] + "." + parts[1] + "." + Base64URL.encode(signature))
        }
    }

    @Test func expiredWrongUseAndWrongIssuerAreRejected() {
        #expect(throws: TokenError.expired) { try verify(JWT.sign(claims(exp: now), with: key)) }
        #expect(throws: TokenError.wrongUse) { try verify(JWT.sign(claims(use: .id), with: key), use: .access) }
        #expect(throws: TokenError.wrongIssuer) { try verify(JWT.sign(claims(iss: "evil"), with: key)) }
    }

    @Test(arguments: [
        "", "a.b", "a.b.c.d", "....", "eyJ.eyJ.sig", String(repeating: "A", count: 9000),
        "e30.e30.", "eyJhbGciOiJIUzI1NiJ9.e30.AAAA",
    ])
    func malformedTokensAreRejected(token: String) {
        #expect(throws: TokenError.self) { try verify(token) }
    }

    @Test func flatJSONParsesWhatTokensHoldAndNothingElse() {
        #expect(
            FlatJSON.parse(Array(#"{"a":"x\"y\u00e9","b":12,"c":true,"d":null}"#.utf8)) == [
                "a": .string("x\"yé"), "b": .number(12), "c": .bool(true), "d": .null,
            ])
        for bad in [#"{"a":{"b":1}}"#, #"{"a":[1]}"#, #"{"a":1,"a":2}"#, #"{"a":1} x"#, #"{"a":"\q"}"#, "[1]", "{"] {
            #expect(FlatJSON.parse(Array(bad.utf8)) == nil, "\(bad)")
        }
    }

    @Test func base64URLIsStrict() {
        for length in 0..<40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 37) }
            #expect(Base64URL.decode(Array(Base64URL.encode(bytes).utf8)) == bytes)
        }
        #expect(Base64URL.decode(Array("ab=".utf8)) == nil)
        #expect(Base64URL.decode(Array("a+b/".utf8)) == nil)
        #expect(Base64URL.decode(Array("QR".utf8)) == nil)  // non-zero leftover bits
    }
}
