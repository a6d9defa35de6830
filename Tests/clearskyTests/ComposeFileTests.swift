import Foundation
import Testing
import Yams

/// `compose/compose.yaml` cannot run here (no container engine), so what it relies on is checked: a
/// PostgreSQL service every Clearsky service waits for and is pointed at, ProcessSvc and TagSvc as two
/// replicas, and only `CLEARSKY_*` settings that the executable it configures documents.
@Suite struct ComposeFileTests {
    static var composeFile: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("compose/compose.yaml").path
    }

    /// An executable's `--help`.
    static func help(_ executable: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "\(UpTests.binaryDirectory)/\(executable)")
        process.arguments = ["--help"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return text
    }

    @Test func replicasShareOnePostgreSQLThroughDocumentedSettings() throws {
        let text = try String(contentsOfFile: Self.composeFile, encoding: .utf8)
        let compose = try #require(try Yams.load(yaml: text) as? [String: Any])
        let services = try #require(compose["services"] as? [String: [String: Any]])
        let postgres = try #require(services["postgres"])
        #expect((postgres["image"] as? String)?.hasPrefix("postgres:15") == true)
        #expect(postgres["healthcheck"] != nil)
        for name in ["process", "tag"] {
            #expect((services[name]?["deploy"] as? [String: Any])?["replicas"] as? Int == 2, "\(name)")
        }
        for (name, service) in services where name != "postgres" {
            let command = try #require(service["command"] as? [String], "\(name)")
            let environment = try #require(service["environment"] as? [String: Any], "\(name)")
            let url = try #require(environment["CLEARSKY_DATABASE_URL"] as? String, "\(name)")
            #expect(url.hasPrefix("postgres://clearsky:") && url.contains("@postgres:5432/clearsky"), "\(name)")
            let waits = (service["depends_on"] as? [String: Any])?["postgres"] as? [String: Any]
            #expect(waits?["condition"] as? String == "service_healthy", "\(name)")
            let help = try Self.help(command[0]).replacingOccurrences(of: "\n", with: " ")
                .replacingOccurrences(of: "  ", with: " ")
            for variable in environment.keys {
                #expect(variable.hasPrefix("CLEARSKY_"), "\(name): \(variable)")
                #expect(help.contains(variable), "\(command[0]) --help does not name \(variable)")
            }
        }
    }
}
