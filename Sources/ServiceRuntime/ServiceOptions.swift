import ArgumentParser
import ClusterCertificates
import Contracts
import Foundation
import Logging
import Wire

/// Flags every Clearsky executable takes; each falls back to a `CLEARSKY_*` environment variable.
public struct ServiceOptions: ParsableArguments {
    @Option(
        help:
            "Address to listen on, host:port (env CLEARSKY_<SERVICE>_LISTEN; default 127.0.0.1 and the service's port)."
    )
    public var listen: String?

    @Option(help: "Data folder (env CLEARSKY_DATA_DIR; default ./data).")
    public var dataDir: String?

    @Option(help: "Cluster secret file (env CLEARSKY_SECRET_FILE; default DATA/cluster.secret).")
    public var secretFile: String?

    @Option(
        help:
            "Certificate folder for Wire over mutual TLS, as `clearsky certs` writes it (env CLEARSKY_TLS_DIR; default DATA/certs)."
    )
    public var tlsDir: String?

    @Flag(
        help:
            "Plain Wire, without TLS: for a cluster whose services all listen on loopback (env CLEARSKY_PLAIN_WIRE=1)."
    )
    public var plainWire = false

    @Option(
        help: "Log level: trace, debug, info, notice, warning, error, critical (env CLEARSKY_LOG_LEVEL; default info).")
    public var logLevel: String?

    @Option(
        help:
            "Seconds between prunings of old events, deliveries and sign-ins (env CLEARSKY_PRUNE_SECONDS; default 3600)."
    )
    public var pruneSeconds: Int?

    @Option(
        help: """
            PostgreSQL for the service's state, postgres://USER:PASSWORD@HOST:PORT/DB[?sslmode=disable|prefer|require], \
            so that several replicas share it (env CLEARSKY_DATABASE_URL, better: it keeps the password off the \
            command line; default: SQLite in the data folder).
            """)
    public var database: String?

    @Option(help: "Ports of the services are base+1 … base+4 (env CLEARSKY_BASE_PORT; default 7100).")
    public var basePort: Int?

    @Option(help: "AuthSvc address, host:port, or several replicas' comma-separated (env CLEARSKY_AUTH_ADDR).")
    public var auth: String?

    @Option(help: "StoreSvc address, host:port, or several replicas' comma-separated (env CLEARSKY_STORE_ADDR).")
    public var store: String?

    @Option(help: "ProcessSvc address, host:port, or several replicas' comma-separated (env CLEARSKY_PROCESS_ADDR).")
    public var process: String?

    @Option(help: "TagSvc address, host:port, or several replicas' comma-separated (env CLEARSKY_TAG_ADDR).")
    public var tag: String?

    public init() {}

    /// The base port from `--base-port`, else `CLEARSKY_BASE_PORT`, else 7100.
    public func resolvedBasePort(
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> Int {
        // base+1 … base+6 must be ports too.
        try integerSetting(
            basePort, flagName: "base-port", variable: "CLEARSKY_BASE_PORT", in: 1...65_529, environment: environment)
            ?? 7100
    }

    /// Fills the configuration from flags, then the environment, then the defaults.
    public func resolve(
        for service: ServiceName, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> ServiceConfiguration {
        func value(_ flag: String?, _ variable: String) -> String? {
            flag ?? environment[variable].flatMap { $0.isEmpty ? nil : $0 }
        }
        func endpoint(_ text: String, _ what: String) throws -> WireEndpoint {
            guard let endpoint = WireEndpoint(text) else {
                throw ValidationError("\(what) must be host:port, got '\(text)'")
            }
            return endpoint
        }
        let base = try resolvedBasePort(environment: environment)
        let dataDirectory = value(dataDir, "CLEARSKY_DATA_DIR") ?? "./data"
        let listenText =
            value(listen, "CLEARSKY_\(service.key.uppercased())_LISTEN") ?? "127.0.0.1:\(service.port(base: base))"
        let levelText = value(logLevel, "CLEARSKY_LOG_LEVEL") ?? "info"
        guard let level = Logger.Level(rawValue: levelText.lowercased()) else {
            throw ValidationError("Unknown log level '\(levelText)'")
        }
        var peers: [ServiceName: [WireEndpoint]] = [:]
        let flags: [ServiceName: String?] = [.auth: auth, .store: store, .process: process, .tag: tag]
        for peer in ServiceName.backends {
            let text =
                value(flags[peer] ?? nil, "CLEARSKY_\(peer.key.uppercased())_ADDR")
                ?? "127.0.0.1:\(peer.port(base: base))"
            // Replicas of one service: a:7104,b:7104.
            let addresses = text.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard addresses.count <= 64 else { throw ValidationError("--\(peer.key) takes at most 64 addresses") }
            let endpoints = try addresses.map { try endpoint($0, "--\(peer.key)") }
            guard Set(endpoints).count == endpoints.count else {
                throw ValidationError("--\(peer.key) names an address twice: '\(text)'")
            }
            peers[peer] = endpoints
        }
        let listen = try endpoint(listenText, "--listen")
        let plain = plainWire || ["1", "true", "yes"].contains(environment["CLEARSKY_PLAIN_WIRE"]?.lowercased() ?? "")
        let prune = try integerSetting(
            pruneSeconds, flagName: "prune-seconds", variable: "CLEARSKY_PRUNE_SECONDS", in: 1...86_400,
            environment: environment)
        return ServiceConfiguration(
            service: service, listen: listen, dataDirectory: dataDirectory, pruneInterval: .seconds(prune ?? 3600),
            secretFile: value(secretFile, "CLEARSKY_SECRET_FILE") ?? "\(dataDirectory)/cluster.secret",
            logLevel: level, peers: peers,
            tlsDirectory: plain ? nil : value(tlsDir, "CLEARSKY_TLS_DIR") ?? "\(dataDirectory)/certs",
            databaseURL: value(database, "CLEARSKY_DATABASE_URL"))
    }
}

/// A service's resolved configuration.
public struct ServiceConfiguration: Sendable {
    public var service: ServiceName
    /// Where this service listens.
    public var listen: WireEndpoint
    /// The cluster's data folder; the service keeps its own state in `DATA/<service key>/`.
    public var dataDirectory: String
    public var secretFile: String
    public var logLevel: Logger.Level
    /// Where the other services listen: each one's replicas.
    public var peers: [ServiceName: [WireEndpoint]]
    /// The certificate folder for Wire over mutual TLS; nil for plain Wire (loopback only).
    public var tlsDirectory: String?
    /// How often the service prunes what it no longer needs (`Pruning`). Default an hour.
    public var pruneInterval: Duration
    /// The PostgreSQL database the service keeps its state in (its own schema), or nil for SQLite in
    /// its state folder. Parsed by the service that opens it (`PostgresSupport.DatabaseURL`).
    public var databaseURL: String?

    public init(
        service: ServiceName, listen: WireEndpoint, dataDirectory: String, pruneInterval: Duration = .seconds(3600),
        secretFile: String, logLevel: Logger.Level = .info, peers: [ServiceName: [WireEndpoint]] = [:],
        tlsDirectory: String? = nil, databaseURL: String? = nil
    ) {
        self.tlsDirectory = tlsDirectory
        self.databaseURL = databaseURL
        self.pruneInterval = pruneInterval
        self.service = service
        self.listen = listen
        self.dataDirectory = dataDirectory
        self.secretFile = secretFile
        self.logLevel = logLevel
        self.peers = peers
    }

    /// This service's own folder under the data folder.
    public var stateDirectory: String { "\(dataDirectory)/\(service.key)" }

    /// The cluster secret and, unless plain Wire was chosen, the TLS identity of `member` (this service's
    /// by default; the operator's for `clearsky rotate-key`) from the certificate folder.
    public func credentials(as member: CertificateFolder.Member? = nil) throws -> WireCredentials {
        let secret = try ClusterSecret.load(from: secretFile)
        guard let tlsDirectory else {
            // Plain Wire carries passwords, tokens and images in clear: never off this machine.
            let addresses =
                [("--listen", listen)]
                + peers.sorted { $0.key.key < $1.key.key }.flatMap { peer in
                    peer.value.map { ("--\(peer.key.key)", $0) }
                }
            for (name, address) in addresses where !WireEndpoint.isLoopback(address.host) {
                throw WireError(
                    .failedPrecondition,
                    "Plain Wire is for loopback only, but \(name) is \(address): give the services certificates (clearsky certs) and drop --plain-wire"
                )
            }
            return .plain(secret)
        }
        let member = member ?? CertificateFolder.Member(file: service.key, identity: service.rawValue)
        let folder = CertificateFolder(tlsDirectory)
        guard folder.holds(member) else {
            throw WireError(
                .failedPrecondition,
                "No certificate for \(member.identity) in \(tlsDirectory) (\(member.file).pem, \(member.file).key, ca.pem): "
                    + "run `clearsky certs --dir \(tlsDirectory)`, or choose --plain-wire for a cluster on loopback only"
            )
        }
        return WireCredentials(secret: secret, tls: try folder.tls(for: member))
    }
}

extension CertificateFolder.Member {
    /// Every identity of a cluster: the five processes and the operator's commands.
    public static let cluster: [CertificateFolder.Member] = ClusterIdentity.all.map {
        CertificateFolder.Member(file: $0.file, identity: $0.identity)
    }

    /// The operator's commands (`clearsky rotate-key`, `revoke-key`).
    public static let operatorCommands = CertificateFolder.Member(
        file: ClusterIdentity.operatorFile, identity: ClusterIdentity.operatorName)
}
