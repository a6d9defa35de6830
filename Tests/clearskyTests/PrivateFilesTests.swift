import Foundation
import TestImages
import Testing
import WireTesting

/// Review finding M11 (issue 25): the data folder holds password hashes, signing keys, the cluster secret, mail with
/// codes and everyone's photos, so under `clearsky up` every folder in it is 0700 and every file 0600,
/// including those an earlier version or a person left looser.
@Suite(.serialized) struct PrivateFilesTests {
    @Test func everyFileOfARunningClusterIsTheOwnersAlone() async throws {
        let data = try temporaryFolder()
        // Left loose from before: the folder, the secret, a database in a service's folder.
        chmod(data, 0o755)
        let secret = String(repeating: "ab", count: 32)
        FileManager.default.createFile(
            atPath: "\(data)/cluster.secret", contents: Data(secret.utf8), attributes: [.posixPermissions: 0o644])
        try FileManager.default.createDirectory(
            atPath: "\(data)/store", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        FileManager.default.createFile(
            atPath: "\(data)/store/left-over.sqlite", contents: Data(), attributes: [.posixPermissions: 0o644])

        // Sign-up mails a code; an upload stores a blob, a thumbnail and database rows.
        let cluster = try await FaultTests.Cluster.start(data: data)
        let upload = try await cluster.call("POST", "/v1/images", raw: TestImages.building)
        #expect(upload.status == 201)
        let id = try #require(try FaultTests.object(upload.body)["id"] as? String)
        try await eventually(within: .seconds(60)) {
            try await cluster.call("GET", "/v1/images/\(id)/thumbnail").status == 200
        }

        var loose: [String] = []
        var seen = (folders: 0, files: 0)
        func check(_ path: String) {
            var status = stat()
            guard lstat(path, &status) == 0 else { return }
            let mode = status.st_mode & 0o777
            switch status.st_mode & S_IFMT {
            case S_IFDIR:
                seen.folders += 1
                if mode != 0o700 { loose.append("\(path) \(String(mode, radix: 8))") }
                for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
                    check("\(path)/\(name)")
                }
            case S_IFREG:
                seen.files += 1
                if mode != 0o600 { loose.append("\(path) \(String(mode, radix: 8))") }
            default: break
            }
        }
        check(data)
        #expect(loose == [])
        // The walk saw the databases, the blob and the mail, not an empty folder.
        #expect(seen.folders >= 8 && seen.files >= 10, "\(seen)")
        let mail = try FileManager.default.contentsOfDirectory(atPath: "\(data)/mail/outbox")
        #expect(!mail.isEmpty)
        try await cluster.stop()
    }
}
