import AccessTokens
import BenchSupport
import Contracts
import Primitives
import Foundation
import Wire

/// Token verification rate and login cost, beside PyJWT and Python's hashlib (auth_peer.py).
///
///     AuthBench [--python python3]
@main
struct AuthBench {
    static func main() throws {
        let python = CommandLine.arguments.firstIndex(of: "--python").map { CommandLine.arguments[$0 + 1] } ?? "python3"
        let key = SigningKey.generate()
        let now = Int(Date().timeIntervalSince1970)
        let claims = TokenClaims(
            sub: UUID().uuidString.lowercased(), iss: "clearsky", tokenUse: .access, authTime: now, iat: now,
            exp: now + 3600, jti: UUID().uuidString.lowercased(), originJti: UUID().uuidString.lowercased(),
            username: "alice", clientId: "clearsky")
        let token = JWT.sign(claims, with: key)
        let keys = [key.kid: key]
        let revoked: Set<String> = Set((0..<1000).map { "revoked-\($0)" })

        // What the gateway does per request: verify with the cached keys, then the revocation lookup.
        let clock = ContinuousClock()
        var count = 0
        let start = clock.now
        while clock.now - start < .seconds(2) {
            for _ in 0..<1000 {
                let verified = try JWT.verify(token, use: .access, issuer: "clearsky", now: now) { keys[$0] }
                if revoked.contains(verified.originJti) { fatalError("not revoked") }
            }
            count += 1000
        }
        let perSecond = Double(count) / ((clock.now - start).microseconds / 1e6)

        let hashing = medianMilliseconds(runs: 3, warmUp: 0) { _ = pbkdf2(iterations: 600_000) }

        let peer = try runJSONPeer([python, "Benchmarks/auth_peer.py", token, Crypto.hex(key.secret), "clearsky"])
        print("| measure | Swift | Python peer | ratio | target |")
        print("|---|---:|---:|---:|---|")
        let peerRate = peer["pyjwt_verifications_per_second"] as? Double
        print(
            "| access-token verifications per second, 1 thread | \(Int(perSecond)) | \(peerRate.map { "\(Int($0)) (PyJWT \(peer["pyjwt"] ?? ""))" } ?? "–") | \(peerRate.map { String(format: "%.1f×", perSecond / $0) } ?? "–") | ≥ 200,000 |"
        )
        let peerHash = peer["pbkdf2_600k_ms"] as? Double
        print(
            "| PBKDF2-HMAC-SHA256, 600,000 iterations (one login) | \(String(format: "%.1f", hashing)) ms | \(peerHash.map { String(format: "%.1f ms (hashlib)", $0) } ?? "–") | \(peerHash.map { String(format: "%.2f×", hashing / $0) } ?? "–") | dominates login |"
        )
    }

    /// The same call AuthSvc makes (PasswordHasher.derive), through OpenSSL.
    static func pbkdf2(iterations: Int) -> [UInt8] {
        Crypto.pbkdf2SHA256(
            password: Array("Corr3ct-horse".utf8), salt: Array("0123456789abcdef".utf8), iterations: iterations)
    }

}
