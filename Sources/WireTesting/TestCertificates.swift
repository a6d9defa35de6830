import ClusterCertificates
import Foundation
import Wire

/// A certificate folder in a temporary directory, made by the real `CertificateFolder`, for tests of Wire
/// over mutual TLS: `tls(for:)` gives any identity's credentials, issued on first use.
public final class TestCertificates: Sendable {
    public let folder: CertificateFolder

    /// A new CA (and nothing else yet) in a new temporary folder; `issuedAt` back-dates what it issues.
    public init(issuedAt: Date = Date()) throws {
        folder = CertificateFolder(try temporaryFolder() + "/certs")
        self.issuedAt = issuedAt
        try folder.create(members: [], now: issuedAt)
    }

    private let issuedAt: Date

    /// The mutual-TLS credentials of `identity` (`"Gateway"`, `"StoreSvc"`, …), issued by this CA.
    public func tls(for identity: String) throws -> WireTLS {
        let member = CertificateFolder.Member(file: identity.lowercased(), identity: identity)
        if !folder.holds(member) { try folder.create(members: [member], now: issuedAt) }
        return try folder.tls(for: member)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: folder.path).deletingLastPathComponent().path)
    }
}
