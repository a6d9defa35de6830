import ClusterCertificates
import Contracts
import Foundation
import ServiceRuntime
import Wire

/// What `clearsky up` starts, where, and with which arguments.
struct ClusterPlan: Sendable {
    struct Child: Sendable {
        var name: ServiceName
        var executable: String
        var arguments: [String]
    }

    let dataDirectory: String
    let gatewayPort: Int
    let basePort: Int
    let binaryDirectory: String
    let logLevel: String
    let children: [Child]
    /// Plain Wire between the services; otherwise mutual TLS with the certificates in `certificateDirectory`.
    let plainWire: Bool

    /// `webhookAllow` (CIDRs) goes to TagSvc as `--webhook-allow`; nil leaves TagSvc's environment to decide.
    init(
        dataDirectory: String, gatewayPort: Int, basePort: Int, binaryDirectory: String, logLevel: String,
        webhookAllow: String? = nil, plainWire: Bool = false
    ) throws {
        self.plainWire = plainWire
        self.dataDirectory = URL(fileURLWithPath: dataDirectory).standardizedFileURL.path
        self.gatewayPort = gatewayPort
        self.basePort = basePort
        self.binaryDirectory = binaryDirectory
        self.logLevel = logLevel
        let common = [
            "--data-dir", self.dataDirectory, "--secret-file", "\(self.dataDirectory)/cluster.secret",
            "--base-port", String(basePort), "--log-level", logLevel,
        ]
        let transport = plainWire ? ["--plain-wire"] : ["--tls-dir", "\(self.dataDirectory)/certs"]
        var children: [Child] = []
        for service in ServiceName.allCases {
            let executable = "\(binaryDirectory)/\(service.rawValue)"
            guard FileManager.default.isExecutableFile(atPath: executable) else {
                throw WireError(
                    .failedPrecondition,
                    "\(executable) is missing; build every product first (swift build -c release), or pass --bin-dir")
            }
            let listen =
                service == .gateway ? "127.0.0.1:\(gatewayPort)" : "127.0.0.1:\(service.port(base: basePort))"
            var arguments = common + transport + ["--listen", listen]
            if service == .tag, let webhookAllow { arguments += ["--webhook-allow", webhookAllow] }
            children.append(Child(name: service, executable: executable, arguments: arguments))
        }
        self.children = children
    }

    var healthURL: String { "http://127.0.0.1:\(gatewayPort)/healthz" }
    var secretFile: String { "\(dataDirectory)/cluster.secret" }
    var certificateDirectory: String { "\(dataDirectory)/certs" }
    var runDirectory: String { "\(dataDirectory)/run" }
    /// Restarts per service, kept by the supervisor for the gateway's `/healthz`.
    var restartsFile: String { "\(runDirectory)/restarts.json" }

    /// Creates the data folder, its mail outbox and, on first run, a random cluster secret, all private
    /// to the user (`PrivateFiles`: folders 0700, files 0600, looser ones from before tightened).
    func prepareDataDirectory() throws {
        PrivateFiles.restrictNewFiles()
        let manager = FileManager.default
        let folders = [dataDirectory, "\(dataDirectory)/mail", "\(dataDirectory)/mail/outbox", runDirectory]
        for folder in folders {
            try manager.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        if !manager.fileExists(atPath: secretFile) {
            try ClusterSecret.random().write(to: secretFile)
        }
        // The cluster's CA and certificates on first run (and renewed when they near their end).
        if !plainWire {
            try CertificateFolder(certificateDirectory).create(members: CertificateFolder.Member.cluster)
        }
        for folder in folders { try PrivateFiles.tighten(folder) }
    }

    /// The folder this executable lives in, where `swift build` puts its siblings.
    static func ownDirectory() -> String {
        let path =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: path).deletingLastPathComponent().path
    }
}
