import AccessTokens
import Foundation

/// What the JWT fuzzer checks on every input, and `make test` on its corpus: any text is refused with a
/// TokenError, or verifies — which only a token signed with the key can — and then round-trips.
enum TokenFuzzing {
    static let key = SigningKey(kid: "fuzz", secret: Array(repeating: 0x5A, count: 32))
    static let now = 1_800_000_000

    static func check(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        for use in [TokenClaims.TokenUse.access, .id] {
            guard
                let claims = try? JWT.verify(
                    text, use: use, issuer: "clearsky", audience: "clearsky", now: now, leeway: 30,
                    key: { $0 == key.kid ? key : nil })
            else { continue }
            let again = try? JWT.verify(
                JWT.sign(claims, with: key), use: use, issuer: "clearsky", audience: "clearsky", now: now,
                leeway: 30, key: { $0 == key.kid ? key : nil })
            precondition(again == claims, "a verified token's claims do not survive signing again")
        }
    }
}
