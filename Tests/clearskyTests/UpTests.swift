import AsyncHTTPClient
import ClusterCertificates
import Contracts
import Foundation
import ServiceRuntime
import Testing
import Wire
import WireTesting

/// `clearsky up` as a user runs it: the real binaries, a temporary data folder, free ports.
@Suite(.serialized) struct UpTests {
    /// Where `swift build` put the executables: beside this test binary unless CLEARSKY_BIN_DIR says otherwise.
    static var binaryDirectory: String {
        if let folder = ProcessInfo.processInfo.environment["CLEARSKY_BIN_DIR"] { return folder }
        let path =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var url = URL(fileURLWithPath: path).deletingLastPathComponent()
        // Inside an .xctest bundle folder on some layouts.
        while !url.path.isEmpty, url.path != "/",
            !FileManager.default.fileExists(atPath: url.appendingPathComponent("clearsky").path)
        {
            url = url.deletingLastPathComponent()
        }
        return url.path
    }

    @Test func upStartsSupervisesAndStopsTheCluster() async throws {
        let bin = Self.binaryDirectory
        let executable = "\(bin)/clearsky"
        try #require(
            FileManager.default.isExecutableFile(atPath: executable),
            "Build every product before testing (make test does): \(executable) is missing")
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let (base, port) = try freePorts()

        let up = Process()
        up.executableURL = URL(fileURLWithPath: executable)
        up.arguments = [
            "up", "--data-dir", data, "--port", String(port), "--base-port", String(base), "--log-level", "warning",
        ]
        let output = Pipe()
        up.standardOutput = output
        try up.run()
        defer { if up.isRunning { up.interrupt(); kill(up.processIdentifier, SIGKILL) } }

        // It prints the URL once /healthz is green.
        let line = try await readLine(
            from: output.fileHandleForReading, containing: "Clearsky is up", within: .seconds(60))
        #expect(line.contains("http://127.0.0.1:\(port)"))
        #expect(try await healthStatus(port) == 200)

        // First run made the secret, readable by its owner only.
        let attributes = try FileManager.default.attributesOfItem(atPath: "\(data)/cluster.secret")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(FileManager.default.fileExists(atPath: "\(data)/mail/outbox"))

        // First run made the cluster's CA and a certificate per identity, private too.
        let certificates = CertificateFolder("\(data)/certs")
        let folderMode = try FileManager.default.attributesOfItem(atPath: certificates.path)[.posixPermissions]
        #expect((folderMode as? Int) == 0o700)
        for member in CertificateFolder.Member.cluster {
            #expect(certificates.holds(member), "\(member.identity)")
            let keyMode = try FileManager.default.attributesOfItem(atPath: certificates.keyPath(member.file))
            #expect((keyMode[.posixPermissions] as? Int) == 0o600, "\(member.identity)")
        }
        let secret = try ClusterSecret.load(from: "\(data)/cluster.secret")
        func credentials(_ identity: String, _ file: String) throws -> WireCredentials {
            WireCredentials(
                secret: secret, tls: try certificates.tls(for: .init(file: file, identity: identity)))
        }
        let operatorCredentials = try credentials("Operator", "operator")

        // The services speak Wire over mutual TLS: a client with the secret alone gets nothing.
        let authEndpoint = WireEndpoint(host: "127.0.0.1", port: ServiceName.auth.port(base: base))
        let plain = WireClient(endpoint: authEndpoint, service: "AuthSvc", secret: secret)
        await #expect(throws: WireError.self) { try await plain.call(CommonContract.health, Empty()) }
        await plain.close()

        // The gateway answers `health` over Wire too, to any certified peer.
        let gatewayWire = WireClient(
            endpoint: WireEndpoint(host: "127.0.0.1", port: ServiceName.gatewayWirePort(base: base)),
            service: "Gateway", credentials: operatorCredentials)
        let gatewayHealth = try await gatewayWire.call(CommonContract.health, Empty())
        #expect(gatewayHealth.service == "Gateway")
        await gatewayWire.close()

        // Each identity calls what its access list allows: the operator may not read the signing keys,
        // nor may StoreSvc (only the gateway verifies tokens).
        for (identity, file) in [("Operator", "operator"), ("StoreSvc", "store")] {
            let client = WireClient(
                endpoint: authEndpoint, service: "AuthSvc", credentials: try credentials(identity, file))
            let refused = await #expect(throws: WireError.self) {
                try await client.call(AuthContract.verificationKeys, Empty())
            }
            #expect(refused?.code == .permissionDenied, "\(identity)")
            await client.close()
        }

        // `clearsky rotate-key` reaches AuthSvc as the operator; AuthSvc then hands out two keys.
        let rotated = try await runClearsky(
            executable, ["rotate-key", "--data-dir", data, "--base-port", String(base)])
        #expect(rotated.status == 0 && rotated.output.contains("Signing key rotated"))
        let authWire = WireClient(
            endpoint: authEndpoint, service: "AuthSvc", credentials: try credentials("Gateway", "gateway"))
        let keys = try await authWire.call(AuthContract.verificationKeys, Empty())
        #expect(keys.keys.count == 2 && rotated.output.contains(keys.keys[0].kid))
        // `clearsky revoke-key` removes the old key at once.
        let old = keys.keys[1].kid
        let revoked = try await runClearsky(
            executable, ["revoke-key", old, "--data-dir", data, "--base-port", String(base)])
        #expect(revoked.status == 0 && revoked.output.contains("Signing key \(old) revoked"))
        #expect(try await authWire.call(AuthContract.verificationKeys, Empty()).keys.map(\.kid) == [keys.keys[0].kid])
        // A key that is not there: a clear error and a failing status.
        let again = try await runClearsky(
            executable, ["revoke-key", old, "--data-dir", data, "--base-port", String(base)])
        #expect(again.status != 0 && again.errors.contains("No signing key \(old)"))
        await authWire.close()

        // A service that dies is restarted and the cluster turns green again.
        let storePID = try pid(of: "StoreSvc", in: data)
        kill(storePID, SIGKILL)
        try await eventually(within: .seconds(30)) {
            (try? pid(of: "StoreSvc", in: data)).map { $0 != storePID } ?? false
        }
        try await eventually(within: .seconds(30)) { (try? await healthStatus(port)) == 200 }

        // SIGTERM stops everything.
        let children = try ["AuthSvc", "StoreSvc", "ProcessSvc", "TagSvc", "Gateway"].map { try pid(of: $0, in: data) }
        up.terminate()
        try await eventually(within: .seconds(30)) { !up.isRunning }
        for child in children {
            #expect(kill(child, 0) != 0, "child \(child) still running")
        }
    }
}

/// Runs the clearsky executable with `arguments` to its end: its status, standard output and error.
func runClearsky(_ executable: String, _ arguments: [String]) async throws -> (
    status: Int32, output: String, errors: String
) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let (output, errors) = (Pipe(), Pipe())
    process.standardOutput = output
    process.standardError = errors
    let status = try await runToExit(process)
    return (
        status, String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self),
        String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    )
}

/// Runs `process` to its end and returns its exit status, without holding a thread while it runs
/// (`waitUntilExit` would block one of the few threads Swift's concurrency runs every suite's tasks on).
func runToExit(_ process: Process) async throws -> Int32 {
    try await withCheckedThrowingContinuation { continuation in
        process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
        do {
            try process.run()
        } catch {
            process.terminationHandler = nil
            continuation.resume(throwing: error)
        }
    }
}

func pid(of service: String, in data: String) throws -> pid_t {
    let text = try String(contentsOfFile: "\(data)/run/\(service).pid", encoding: .utf8)
    guard let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
        throw CocoaError(.fileReadCorruptFile)
    }
    return pid
}

func healthStatus(_ port: Int) async throws -> Int {
    let response = try await HTTPClient.shared.execute(
        HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz"), timeout: .seconds(3))
    return Int(response.status.code)
}

/// WireTesting's `eventually`, recording an issue when `condition` never holds.
func eventually(within limit: Duration, _ condition: () async throws -> Bool) async throws {
    if try await !eventually(timeout: limit, condition) { Issue.record("Condition not met within \(limit)") }
}

/// Reads `handle` until a line containing `marker` appears.
func readLine(from handle: FileHandle, containing marker: String, within limit: Duration) async throws -> String {
    let lines = AsyncStream<String> { continuation in
        handle.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                continuation.finish()
                handle.readabilityHandler = nil
            } else {
                continuation.yield(String(decoding: data, as: UTF8.self))
            }
        }
    }
    return try await withThrowingTaskGroup(of: String?.self) { group in
        group.addTask {
            var seen = ""
            for await chunk in lines {
                seen += chunk
                if let line = seen.split(separator: "\n").first(where: { $0.contains(marker) }) { return String(line) }
            }
            return nil
        }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        let result = try await group.next()!
        group.cancelAll()
        handle.readabilityHandler = nil
        guard let line = result else { throw CocoaError(.fileReadUnknown) }
        return line
    }
}

/// A base port with base+1 … base+5 free (four services and the gateway's Wire port), and a free HTTP port.
func freePorts() throws -> (base: Int, gateway: Int) {
    func isFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        } == 0
    }
    // Below Linux's ephemeral range (32768 and up by default): a port checked free there can be taken by
    // an outgoing connection before the service binds it.
    for _ in 0..<200 {
        let base = Int.random(in: 1_100...3_200) * 10
        if (1...6).allSatisfy({ isFree(base + $0) }) { return (base, base + 6) }
    }
    throw CocoaError(.featureUnsupported)
}
