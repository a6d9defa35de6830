import NIOCore
import NIOSSL
import X509

/// Wire over TLS 1.3 with mutual authentication: one cluster CA, and a certificate per identity (a service,
/// the gateway, the operator's commands) whose DNS name is `<identity>.clearsky` (`hostname(of:)`). A client
/// checks that the server's certificate names the service it asked for; a server takes the caller's identity
/// from the client's certificate and checks it against each method's callers (`WireCallers`). Neither side
/// accepts a peer without a certificate from the cluster's CA.
public struct WireTLS: Sendable {
    /// This process's identity, as its certificate names it (`StoreSvc`, `Gateway`, `Operator`).
    public let identity: String
    let serverContext: NIOSSLContext
    let clientContext: NIOSSLContext

    /// The DNS name a certificate for `identity` carries: `storesvc.clearsky` for `StoreSvc`.
    public static func hostname(of identity: String) -> String { "\(identity.lowercased()).clearsky" }

    /// Reads the CA certificate, this identity's certificate and its private key (PEM); fails when the
    /// certificate does not name `identity` or the CA did not issue it.
    public init(identity: String, caPEM: [UInt8], certificatePEM: [UInt8], privateKeyPEM: [UInt8]) throws {
        let ca: [NIOSSLCertificate]
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            ca = try NIOSSLCertificate.fromPEMBytes(caPEM)
            chain = try NIOSSLCertificate.fromPEMBytes(certificatePEM)
            key = try NIOSSLPrivateKey(bytes: privateKeyPEM, format: .pem)
        } catch {
            throw WireError(.failedPrecondition, "\(identity)'s TLS files do not read: \(error)")
        }
        guard !ca.isEmpty, let leaf = chain.first else {
            throw WireError(.failedPrecondition, "\(identity)'s TLS files hold no certificate")
        }
        let names = try Self.identities(of: leaf)
        guard names.contains(identity.lowercased()) else {
            throw WireError(
                .failedPrecondition,
                "The certificate for \(identity) names \(names.sorted().joined(separator: ", ")), not \(identity)")
        }
        func configure(_ configuration: inout TLSConfiguration) {
            configuration.minimumTLSVersion = .tlsv13
            configuration.trustRoots = .certificates(ca)
        }
        var server = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configure(&server)
        // A client has no host name to check: its identity is read from the certificate instead.
        server.certificateVerification = .noHostnameVerification
        var client = TLSConfiguration.makeClientConfiguration()
        configure(&client)
        client.certificateChain = chain.map { .certificate($0) }
        client.privateKey = .privateKey(key)
        client.certificateVerification = .fullVerification
        do {
            serverContext = try NIOSSLContext(configuration: server)
            clientContext = try NIOSSLContext(configuration: client)
        } catch {
            throw WireError(.failedPrecondition, "\(identity)'s TLS files do not make a TLS context: \(error)")
        }
        self.identity = identity
    }

    /// The identities a certificate names: its `*.clearsky` DNS names without the suffix, lowercased.
    static func identities(of certificate: NIOSSLCertificate) throws -> Set<String> {
        let parsed: Certificate
        do {
            parsed = try Certificate(derEncoded: try certificate.toDERBytes())
        } catch {
            throw WireError(.unauthenticated, "Certificate does not parse: \(error)")
        }
        let suffix = ".clearsky"
        var names = Set<String>()
        for name in (try? parsed.extensions.subjectAlternativeNames) ?? SubjectAlternativeNames() {
            guard case .dnsName(let dns) = name else { continue }
            let lower = dns.lowercased()
            if lower.hasSuffix(suffix), lower.count > suffix.count {
                names.insert(String(lower.dropLast(suffix.count)))
            }
        }
        return names
    }

    /// A TLS failure during the handshake as a Wire error (`unauthenticated`: a certificate one side
    /// refuses is not a passing outage); nil for any other error, and for a connection that closed
    /// without TLS's goodbye (a peer that died).
    static func failure(_ error: any Error, service: String) -> WireError? {
        if case .uncleanShutdown? = error as? NIOSSLError { return nil }
        guard error is NIOSSLError || error is NIOSSLExtraError || error is BoringSSLError else { return nil }
        return WireError(.unauthenticated, "TLS with \(service) failed: \(error)")
    }

    func serverHandler() -> NIOSSLServerHandler { NIOSSLServerHandler(context: serverContext) }

    func clientHandler(for service: String) throws -> NIOSSLClientHandler {
        try NIOSSLClientHandler(context: clientContext, serverHostname: Self.hostname(of: service))
    }
}

/// Who is on the other end of a server connection.
public enum WirePeer: Sendable, Hashable, CustomStringConvertible {
    /// Plain Wire: a holder of the cluster secret, trusted with every method (loopback-only deployments).
    case clusterSecret
    /// Wire over TLS: the identity the peer's certificate names (lowercased).
    case certified(String)

    public var description: String {
        switch self {
        case .clusterSecret: "a holder of the cluster secret"
        case .certified(let name): name
        }
    }
}

/// Who may call a method: every peer of the cluster, or only the named identities. Checked by the server
/// before the handler runs; over plain Wire every peer holds the one cluster secret and may call anything.
public struct WireCallers: Sendable, Hashable {
    /// Lowercased identities; nil admits every authenticated peer.
    let names: Set<String>?

    /// Any authenticated peer (health, for instance).
    public static let anyPeer = WireCallers(names: nil)

    /// Only these identities (`"Gateway"`, `"ProcessSvc"`, …).
    public static func only(_ identities: String...) -> WireCallers {
        WireCallers(names: Set(identities.map { $0.lowercased() }))
    }

    /// These callers and `other`'s.
    public func or(_ other: WireCallers) -> WireCallers {
        guard let names, let more = other.names else { return .anyPeer }
        return WireCallers(names: names.union(more))
    }

    public func admits(_ peer: WirePeer) -> Bool {
        switch peer {
        case .clusterSecret: true
        case .certified(let name): names?.contains(name) ?? true
        }
    }

    /// The identities, sorted; nil for every peer.
    public var identities: [String]? { names?.sorted() }
}
