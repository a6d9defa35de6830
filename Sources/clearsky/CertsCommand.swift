import ArgumentParser
import ClusterCertificates
import Foundation
import ServiceRuntime
import Wire

/// `clearsky certs`: the cluster's CA and a certificate for each service, the gateway and the operator's
/// commands, for Wire over mutual TLS. Creates what is missing (`clearsky up` runs it on first start);
/// `--renew` issues every identity a new certificate from the same CA.
struct CertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certs",
        abstract: "Create the cluster CA and one certificate per service (Wire over mutual TLS).",
        discussion: """
            Writes ca.pem and ca.key, and <identity>.pem and <identity>.key for auth, store, process, tag, gateway \
            and operator, into the folder (0700; keys 0600). Give each host only its own pair and ca.pem; keep \
            ca.key off the cluster's hosts. Existing certificates are kept unless they expire within 30 days, \
            were issued by another CA, or --renew is given.
            """)

    @Option(help: "Certificate folder (env CLEARSKY_TLS_DIR; default DATA/certs).")
    var dir: String?

    @Option(help: "Data folder, for the default certificate folder (env CLEARSKY_DATA_DIR; default ./data).")
    var dataDir: String?

    @Flag(help: "Issue every identity a new certificate and key, from the existing CA.")
    var renew = false

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let data = dataDir ?? environment["CLEARSKY_DATA_DIR"] ?? "./data"
        let folder = CertificateFolder(dir ?? environment["CLEARSKY_TLS_DIR"] ?? "\(data)/certs")
        PrivateFiles.restrictNewFiles()
        let written = try folder.create(members: CertificateFolder.Member.cluster, renew: renew)
        if written.isEmpty {
            print("Certificates in \(folder.path) are current; nothing written.")
        } else {
            for path in written { print("wrote \(path)") }
        }
    }
}
