import Contracts
import Foundation
import Primitives
import Wire

/// Capability URLs for what a browser loads without an `Authorization` header (`<img>`, downloads):
/// `PATH?u=SUB&exp=SECONDS&sig=MAC`, where the MAC is HMAC-SHA256 over the path, the user it was
/// issued to and the expiry, under a key every gateway of the cluster derives from the cluster secret.
/// The gateway serves such a URL as that user would be served, so it opens only what they may read.
///
/// Expiries are rounded up to a `window`, so the URLs issued for an image within one window are
/// identical and the browser's cache keeps working; a URL lives between one and two windows.
struct URLSigner: Sendable {
    let key: [UInt8]
    /// Seconds; default 10 minutes.
    var window: Int64 = 600

    init(secret: ClusterSecret) { key = secret.derivedKey("signed-urls") }

    /// `path` with the query that lets `subject` open it until about `now + window`.
    func sign(_ path: String, for subject: String, now: Int64) -> String {
        let expires = (now / window + 2) * window
        return sign(path, for: subject, expires: expires)
    }

    func sign(_ path: String, for subject: String, expires: Int64) -> String {
        "\(path)?u=\(subject)&exp=\(expires)&sig=\(mac(path, subject, expires))"
    }

    /// The subject a signed request may act for, or nil when it carries no signature at all; throws
    /// NotAuthorized for a wrong, altered or expired one.
    func subject(path: String, query: [String: String], now: Int64) throws -> String? {
        guard query["sig"] != nil || query["exp"] != nil || query["u"] != nil else { return nil }
        guard let subject = query["u"], !subject.isEmpty, subject.utf8.count <= 128,
            let expiresText = query["exp"], expiresText.utf8.count <= 19,
            expiresText.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            let expires = Int64(expiresText), let signature = query["sig"]
        else { throw APIError(.unauthorized, "NotAuthorized", "Invalid link") }
        guard Crypto.constantTimeEqual(Array(signature.utf8), Array(mac(path, subject, expires).utf8)) else {
            throw APIError(.unauthorized, "NotAuthorized", "Invalid link")
        }
        guard now < expires else { throw APIError(.unauthorized, "NotAuthorized", "The link has expired") }
        return subject
    }

    private func mac(_ path: String, _ subject: String, _ expires: Int64) -> String {
        Crypto.hex(Crypto.hmacSHA256(key: key, Array("v1\n\(path)\n\(subject)\n\(expires)".utf8)))
    }
}
