import Foundation
import ServiceRuntime

/// A real SMTP server for tests: Python's aiosmtpd (Debian's python3-aiosmtpd, which `make test`
/// installs) on a free loopback port, writing each message it accepts as a file.
public final class SMTPSink: @unchecked Sendable {
    public let folder: String
    public let port: Int
    private let process: Process

    private static let script = """
        import asyncio, os, sys
        from aiosmtpd.smtp import SMTP
        folder = sys.argv[1]
        class Keep:
            async def handle_DATA(self, server, session, envelope):
                name = os.path.join(folder, "%04d.eml" % len([n for n in os.listdir(folder) if n.endswith(".eml")]))
                text = "X-Envelope-To: " + ",".join(envelope.rcpt_tos) + "\\r\\n" + envelope.content.decode("utf-8", "replace")
                with open(name + ".part", "w") as f:
                    f.write(text)
                os.rename(name + ".part", name)
                return "250 OK"
        async def main():
            server = await asyncio.get_running_loop().create_server(lambda: SMTP(Keep()), "127.0.0.1", 0)
            print(server.sockets[0].getsockname()[1], flush=True)
            await server.serve_forever()
        asyncio.run(main())
        """

    /// Starts the server off the cooperative pool (it waits for Python to print its port); fails when
    /// aiosmtpd is not installed.
    public static func start() async throws -> SMTPSink {
        try await Offload.run { Result { try SMTPSink() } }.get()
    }

    private init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("smtp-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let process = Process()
        // Debian's own interpreter first: that is where python3-aiosmtpd installs.
        let python = FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : "python3"
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, "-c", Self.script, folder]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        guard let port = Int(line.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            kill(process.processIdentifier, SIGKILL)
            throw SinkError(message: "aiosmtpd did not start (is python3-aiosmtpd installed?): '\(line)'")
        }
        (self.port, self.process) = (port, process)
    }

    /// The messages received so far, oldest first, with an `X-Envelope-To` header naming the recipients.
    public func messages() -> [String] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter {
            $0.hasSuffix(".eml")
        }
        return names.sorted().compactMap { try? String(contentsOfFile: "\(folder)/\($0)", encoding: .utf8) }
    }

    /// Kills the server (SIGKILL: a test process running a ServiceGroup ignores SIGTERM, and so would
    /// its children) and removes its folder.
    public func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: folder)
    }

    struct SinkError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }
}
