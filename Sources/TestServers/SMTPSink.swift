import Foundation
import ServiceRuntime

/// A real SMTP server for tests: Python's aiosmtpd (Debian's python3-aiosmtpd, which `make test`
/// installs) on a free loopback port, writing each message it accepts as a file.
///
/// With `TLS` it speaks STARTTLS (required before MAIL) or implicit TLS with a certificate made for the
/// test, and with credentials it requires AUTH (over TLS only). Each kept message starts with
/// `X-Envelope-To`, `X-TLS: yes|no` and `X-Auth-Login` headers, so a test sees how it arrived.
public final class SMTPSink: @unchecked Sendable {
    /// A self-signed certificate for `localhost` and 127.0.0.1, made with the openssl command.
    public struct TLS: Sendable {
        public let certificate: String
        public let key: String
        /// Implicit TLS (SMTPS) instead of STARTTLS.
        public var implicit = false

        public static func selfSigned(in folder: String) throws -> TLS {
            let tls = TLS(certificate: folder + "/cert.pem", key: folder + "/key.pem")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", tls.key, "-out", tls.certificate,
            ]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw SinkError(message: "openssl could not make a certificate (is openssl installed?)")
            }
            return tls
        }
    }

    public let folder: String
    public let port: Int
    private let process: Process

    private static let script = """
        import asyncio, os, ssl, sys
        from aiosmtpd.smtp import SMTP, AuthResult
        folder, cert, key, mode, user, password = sys.argv[1:7]
        class Keep:
            async def handle_DATA(self, server, session, envelope):
                name = os.path.join(folder, "%04d.eml" % len([n for n in os.listdir(folder) if n.endswith(".eml")]))
                data = getattr(session, "auth_data", None)
                login = data.decode() if isinstance(data, bytes) else str(data or "")
                text = ("X-Envelope-To: " + ",".join(envelope.rcpt_tos) + "\\r\\n"
                    + "X-TLS: " + ("yes" if server.transport.get_extra_info("ssl_object") else "no") + "\\r\\n"
                    + "X-Auth-Login: " + login + "\\r\\n"
                    + envelope.content.decode("utf-8", "replace"))
                with open(name + ".part", "w") as f:
                    f.write(text)
                os.rename(name + ".part", name)
                return "250 OK"
        def check(server, session, envelope, mechanism, auth_data):
            ok = auth_data.login == user.encode() and auth_data.password == password.encode()
            return AuthResult(success=ok, auth_data=auth_data.login if ok else None)
        def make():
            options = {}
            if mode == "starttls":
                context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
                context.load_cert_chain(cert, key)
                options = dict(tls_context=context, require_starttls=True)
            if user:
                options.update(authenticator=check, auth_required=True, auth_require_tls=True)
            return SMTP(Keep(), **options)
        async def main():
            context = None
            if mode == "tls":
                context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
                context.load_cert_chain(cert, key)
            server = await asyncio.get_running_loop().create_server(make, "127.0.0.1", 0, ssl=context)
            print(server.sockets[0].getsockname()[1], flush=True)
            await server.serve_forever()
        asyncio.run(main())
        """

    /// Starts the server off the cooperative pool (it waits for Python to print its port); fails when
    /// aiosmtpd is not installed.
    public static func start(tls: TLS? = nil, username: String = "", password: String = "") async throws -> SMTPSink {
        try await Offload.run { Result { try SMTPSink(tls: tls, username: username, password: password) } }.get()
    }

    private init(tls: TLS?, username: String, password: String) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("smtp-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let process = Process()
        // Debian's own interpreter first: that is where python3-aiosmtpd installs.
        let python = FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : "python3"
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let mode = tls.map { $0.implicit ? "tls" : "starttls" } ?? "plain"
        process.arguments = [
            python, "-c", Self.script, folder, tls?.certificate ?? "", tls?.key ?? "", mode, username, password,
        ]
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
