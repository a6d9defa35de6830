import Crypto
import Foundation
import SwiftASN1
import Wire
import X509

/// The folder that holds a cluster's certificates: the CA (`ca.pem`, and `ca.key`, which only
/// `clearsky certs` needs), and for each identity `<file>.pem` and `<file>.key` (P-256, PKCS#8 PEM).
/// An identity's certificate names `<identity>.clearsky` (`WireTLS.hostname(of:)`), is good for both
/// TLS client and server authentication, and is issued by the folder's CA.
public struct CertificateFolder: Sendable {
    public let path: String

    /// How long a new CA and a new identity certificate stay valid.
    public static let caValidity: TimeInterval = 10 * 365 * 86_400
    public static let certificateValidity: TimeInterval = 2 * 365 * 86_400
    /// `create` renews an identity certificate that expires within this (30 days).
    public static let renewalWindow: TimeInterval = 30 * 86_400

    public init(_ path: String) { self.path = path }

    public var caCertificatePath: String { "\(path)/ca.pem" }
    public var caKeyPath: String { "\(path)/ca.key" }
    public func certificatePath(_ file: String) -> String { "\(path)/\(file).pem" }
    public func keyPath(_ file: String) -> String { "\(path)/\(file).key" }

    /// One identity a folder holds a certificate for: its file name (`store`) and the identity it proves
    /// (`StoreSvc`).
    public struct Member: Sendable, Hashable {
        public var file: String
        public var identity: String
        public init(file: String, identity: String) { (self.file, self.identity) = (file, identity) }
    }

    /// Makes what is missing: the CA when there is none, and each member's certificate when it is missing,
    /// expires within `renewalWindow`, was not issued by this CA, or `renew` is set. Returns the files it
    /// wrote, each 0600 in a 0700 folder (certificates are no secret, but nobody else needs them).
    @discardableResult
    public func create(members: [Member], renew: Bool = false, now: Date = Date()) throws -> [String] {
        let manager = FileManager.default
        try manager.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard chmod(path, 0o700) == 0 else { throw failure("Cannot make \(path) private") }
        var written: [String] = []
        let (ca, caKey): (Certificate, Certificate.PrivateKey)
        if manager.fileExists(atPath: caCertificatePath) {
            guard manager.fileExists(atPath: caKeyPath) else {
                throw failure("\(caCertificatePath) exists without \(caKeyPath): cannot issue certificates")
            }
            (ca, caKey) = try (readCertificate(caCertificatePath), readKey(caKeyPath))
        } else {
            (ca, caKey) = try Self.makeAuthority(now: now)
            try write(caKey.serializeAsPEM().pemString, to: caKeyPath, mode: 0o600)
            try write(ca.serializeAsPEM().pemString, to: caCertificatePath, mode: 0o600)
            written += [caKeyPath, caCertificatePath]
        }
        for member in members {
            let certificatePath = certificatePath(member.file)
            if !renew, manager.fileExists(atPath: certificatePath), manager.fileExists(atPath: keyPath(member.file)),
                let current = try? readCertificate(certificatePath), current.issuer == ca.subject,
                current.notValidAfter.timeIntervalSince(now) > Self.renewalWindow
            {
                continue
            }
            let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
            let certificate = try Self.issue(for: member.identity, key: key, by: ca, caKey: caKey, now: now)
            try write(key.serializeAsPEM().pemString, to: keyPath(member.file), mode: 0o600)
            try write(certificate.serializeAsPEM().pemString, to: certificatePath, mode: 0o600)
            written += [keyPath(member.file), certificatePath]
        }
        return written
    }

    /// The mutual-TLS credentials of `member`, read from the folder (the CA's certificate, not its key).
    public func tls(for member: Member) throws -> WireTLS {
        func read(_ path: String) throws -> [UInt8] {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw failure("Cannot read \(path)")
            }
            return Array(data)
        }
        return try WireTLS(
            identity: member.identity, caPEM: read(caCertificatePath),
            certificatePEM: read(certificatePath(member.file)), privateKeyPEM: read(keyPath(member.file)))
    }

    /// Whether the folder holds `member`'s certificate, key and the CA's certificate.
    public func holds(_ member: Member) -> Bool {
        [caCertificatePath, certificatePath(member.file), keyPath(member.file)].allSatisfy {
            FileManager.default.fileExists(atPath: $0)
        }
    }

    static func makeAuthority(now: Date) throws -> (Certificate, Certificate.PrivateKey) {
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let tag = Array(SHA256.hash(data: Array(key.publicKey.subjectPublicKeyInfoBytes)).prefix(4))
            .map { String(format: "%02x", $0) }.joined()
        let name = try DistinguishedName {
            OrganizationName("Clearsky")
            CommonName("Clearsky cluster CA \(tag)")
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: key.publicKey,
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(caValidity),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: key.publicKey)
            },
            issuerPrivateKey: key)
        return (certificate, key)
    }

    static func issue(
        for identity: String, key: Certificate.PrivateKey, by ca: Certificate, caKey: Certificate.PrivateKey,
        now: Date
    ) throws -> Certificate {
        let subject = try DistinguishedName {
            OrganizationName("Clearsky")
            CommonName(identity)
        }
        let notAfter = min(now.addingTimeInterval(certificateValidity), ca.notValidAfter)
        return try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: key.publicKey,
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: notAfter,
            issuer: ca.subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth, .clientAuth])
                SubjectAlternativeNames([.dnsName(WireTLS.hostname(of: identity))])
                SubjectKeyIdentifier(hash: key.publicKey)
                if let authority = try ca.extensions.subjectKeyIdentifier {
                    AuthorityKeyIdentifier(keyIdentifier: authority.keyIdentifier)
                }
            },
            issuerPrivateKey: caKey)
    }

    private func readCertificate(_ path: String) throws -> Certificate {
        do {
            return try Certificate(pemEncoded: String(contentsOfFile: path, encoding: .utf8))
        } catch {
            throw failure("\(path) is not a PEM certificate: \(error)")
        }
    }

    private func readKey(_ path: String) throws -> Certificate.PrivateKey {
        do {
            return try Certificate.PrivateKey(pemEncoded: String(contentsOfFile: path, encoding: .utf8))
        } catch {
            throw failure("\(path) is not a PEM private key: \(error)")
        }
    }

    private func write(_ text: String, to path: String, mode: mode_t) throws {
        let temporary = "\(path).new"
        guard
            FileManager.default.createFile(
                atPath: temporary, contents: Data(text.utf8), attributes: [.posixPermissions: Int(mode)]),
            chmod(temporary, mode) == 0, rename(temporary, path) == 0
        else {
            throw failure("Cannot write \(path)")
        }
    }

    private func failure(_ message: String) -> WireError { WireError(.failedPrecondition, message) }
}
