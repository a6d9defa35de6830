import Foundation
import Mail
import TestServers
import Testing

/// L2: mail to a relay over STARTTLS or implicit TLS with AUTH, against aiosmtpd with a certificate
/// made for the test; credentials never go out in clear.
@Suite struct SMTPSecurityTests {
    let message = MailMessage(
        from: "Clearsky <no-reply@clearsky.local>", to: "alice@example.com", subject: "Your code",
        body: "Use 123456.\n.hidden line\n..two dots\n.")

    private func withTLS(_ body: (SMTPSink.TLS, String) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("smtp-tls-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try await body(try SMTPSink.TLS.selfSigned(in: folder), folder)
    }

    @Test func startTLSThenAuthThenTheMessageArrivesWhole() async throws {
        try await withTLS { tls, _ in
            let sink = try await SMTPSink.start(tls: tls, username: "clearsky", password: "s3cret")
            defer { sink.stop() }
            let delivery = SMTPDelivery(
                host: "localhost", port: sink.port, security: .startTLS,
                credentials: .init(username: "clearsky", password: "s3cret"), caFile: tls.certificate)
            try await delivery.deliver(message)
            let received = try #require(sink.messages().first)
            #expect(received.contains("X-TLS: yes\r\n") || received.contains("X-TLS: yes\n"))
            #expect(received.contains("X-Auth-Login: clearsky"))
            // Dot-stuffing is undone by the receiver: every line comes back as written.
            #expect(received.contains(".hidden line") && received.contains("..two dots"))
            #expect(!received.contains("...two dots"))
        }
    }

    @Test func autoUsesStartTLSWhenOffered() async throws {
        try await withTLS { tls, _ in
            let sink = try await SMTPSink.start(tls: tls)
            defer { sink.stop() }
            try await SMTPDelivery(host: "localhost", port: sink.port, caFile: tls.certificate).deliver(message)
            #expect(sink.messages().first?.contains("X-TLS: yes") == true)
        }
    }

    @Test func implicitTLSWorks() async throws {
        try await withTLS { tls, _ in
            var implicit = tls
            implicit.implicit = true
            let sink = try await SMTPSink.start(tls: implicit)
            defer { sink.stop() }
            try await SMTPDelivery(host: "127.0.0.1", port: sink.port, security: .implicitTLS, caFile: tls.certificate)
                .deliver(message)
            #expect(sink.messages().first?.contains("X-TLS: yes") == true)
        }
    }

    @Test func aRelayWithAnUntrustedCertificateGetsNothing() async throws {
        try await withTLS { tls, folder in
            let sink = try await SMTPSink.start(tls: tls, username: "clearsky", password: "s3cret")
            defer { sink.stop() }
            // The system's roots do not know the test's certificate.
            let delivery = SMTPDelivery(
                host: "localhost", port: sink.port, timeout: .seconds(10), security: .startTLS,
                credentials: .init(username: "clearsky", password: "s3cret"))
            await #expect(throws: (any Error).self) { try await delivery.deliver(message) }
            #expect(sink.messages().isEmpty)
            _ = folder
        }
    }

    @Test func credentialsAreNotSentWithoutTLS() async throws {
        let sink = try await SMTPSink.start()
        defer { sink.stop() }
        let delivery = SMTPDelivery(
            host: "127.0.0.1", port: sink.port, credentials: .init(username: "clearsky", password: "s3cret"))
        await #expect(throws: SMTPError.self) { try await delivery.deliver(message) }
        #expect(sink.messages().isEmpty)
        // Configuration refuses the combination up front.
        #expect(throws: MailConfigurationError.self) {
            _ = try MailConfiguration.delivery(
                smtp: "127.0.0.1:25", dataDirectory: "/tmp",
                environment: ["CLEARSKY_SMTP_TLS": "none", "CLEARSKY_SMTP_USER": "u", "CLEARSKY_SMTP_PASSWORD": "p"])
        }
        #expect(throws: MailConfigurationError.self) {
            _ = try MailConfiguration.delivery(
                smtp: "127.0.0.1:25", dataDirectory: "/tmp", environment: ["CLEARSKY_SMTP_TLS": "maybe"])
        }
    }
}
