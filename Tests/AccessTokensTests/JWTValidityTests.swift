import Contracts
import Foundation
import Testing
import Wire
import WireTesting

@testable import AccessTokens

/// L13: audience, clock leeway, and a token parser that is total on every input.
@Suite struct JWTValidityTests {
    let key = SigningKey(kid: "k1", secret: Array(repeating: 7, count: 32))
    let now = 1_800_000_000

    func token(iat: Int? = nil, exp: Int? = nil, client: String = "clearsky") -> String {
        JWT.sign(
            TokenClaims(
                sub: "0b1e", iss: "clearsky", tokenUse: .access, authTime: now - 10, iat: iat ?? now - 10,
                exp: exp ?? now + 3600, jti: "j1", originJti: "o1", username: "alice", clientId: client, email: nil,
                emailVerified: nil),
            with: key)
    }

    func verify(_ token: String, audience: String? = "clearsky", now: Int? = nil, leeway: Int = 30)
        throws(TokenError) -> TokenClaims
    {
        try JWT.verify(
            token, use: .access, issuer: "clearsky", audience: audience, now: now ?? self.now, leeway: leeway
        ) { $0 == key.kid ? key : nil }
    }

    @Test func aTokenForAnotherClientIsRefused() throws {
        #expect(throws: TokenError.wrongAudience) { try verify(token(client: "other-app")) }
        _ = try verify(token())
        // Without an expected audience (an old AuthSvc), any client passes.
        _ = try verify(token(client: "other-app"), audience: nil)
    }

    @Test func theLeewayForgivesDriftAndNoMore() throws {
        _ = try verify(token(exp: now - 29))
        #expect(throws: TokenError.expired) { try verify(token(exp: now - 30)) }
        _ = try verify(token(iat: now + 30))
        #expect(throws: TokenError.notYetValid) { try verify(token(iat: now + 31)) }
        #expect(throws: TokenError.expired) { try verify(token(exp: now - 1), leeway: 0) }
    }

    @Test func extremeClocksAndClaimsNeverTrap() {
        for value in HostileValues.integers {
            for leeway in [0, 30, Int.max, -1, Int.min] {
                _ = try? verify(token(iat: value, exp: value), now: value, leeway: leeway)
                _ = try? verify(token(), now: value, leeway: leeway)
            }
        }
    }

    /// Random edits of a valid token: every one is refused with a TokenError or, if the edit left the
    /// signed part intact (base64 padding bits), verifies to the same claims. Nothing traps.
    @Test func mutatedTokensAreRefusedOrUnchanged() throws {
        let valid = token()
        let claims = try verify(valid)
        var generator = SeededGenerator(seed: 0x0A11_7E57)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/") + ["\u{0}", "é"]
        for _ in 0..<20_000 {
            var characters = Array(valid)
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                let index = Int.random(in: 0..<characters.count, using: &generator)
                characters[index] = alphabet.randomElement(using: &generator)!
            }
            let mutated = String(characters)
            do {
                #expect(try verify(mutated) == claims)
            } catch {
                // any TokenError is a refusal
            }
        }
        for garbage in HostileValues.numberTexts + [String(repeating: ".", count: 10_000), "a.b.c", "..", "é.é.é"] {
            #expect(throws: TokenError.self) { try verify(garbage) }
        }
    }
}
