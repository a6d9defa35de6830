import Foundation
import Mail
import Testing

@Suite struct MailTests {
    let message = MailMessage(
        from: "Clearsky <no-reply@clearsky.local>", to: "alice@example.com\r\nBcc: everyone@example.com",
        subject: "Your code\r\nX-Injected: yes", body: "Line one\n.\nLine three")

    @Test func rfc5322TextHasItsHeadersAndNoInjectedOnes() {
        let text = message.rfc5322(messageID: "abc@clearsky")
        #expect(text.contains("From: Clearsky <no-reply@clearsky.local>\r\n"))
        #expect(text.contains("Message-ID: <abc@clearsky>\r\n"))
        #expect(text.contains("Content-Type: text/plain; charset=utf-8\r\n"))
        // CR and LF are stripped from header values: no header can be smuggled in.
        #expect(!text.contains("\r\nBcc:") && !text.contains("\r\nX-Injected:"))
        // A lone dot in the body is doubled so it cannot end an SMTP DATA section.
        #expect(text.contains("\r\n..\r\n"))
    }

    @Test func outboxWritesWholeFiles() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("outbox-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let outbox = try Outbox(folder: folder)
        try await outbox.deliver(message)
        try await outbox.deliver(MailMessage(from: "a@b.c", to: "d@e.f", subject: "second", body: "x"))
        let messages = try outbox.messages()
        #expect(messages.count == 2)
        #expect(messages[1].text.contains("Subject: second"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).allSatisfy { $0.hasSuffix(".eml") })
    }

    @Test func smtpDeliversThroughARelay() async throws {
        let server = FakeSMTPServer()
        try await server.run { port in
            try await SMTPDelivery(host: "127.0.0.1", port: port).deliver(message)
        }
        let transcript = try #require(server.transcripts.withLock { $0.first })
        #expect(transcript.contains("EHLO clearsky.local"))
        #expect(transcript.contains("MAIL FROM:<no-reply@clearsky.local>"))
        #expect(transcript.contains("RCPT TO:<alice@example.comBcc: everyone@example.com>"))
        #expect(transcript.contains("Subject: Your codeX-Injected: yes"))
        #expect(transcript.contains("QUIT"))
    }

    @Test func aRefusedRecipientIsAnError() async throws {
        let server = FakeSMTPServer(rcptReply: 550)
        await #expect(throws: SMTPError.self) {
            try await server.run { port in
                try await SMTPDelivery(host: "127.0.0.1", port: port).deliver(message)
            }
        }
    }

    @Test func anUnreachableRelayIsAnError() async {
        await #expect(throws: (any Error).self) {
            try await SMTPDelivery(host: "127.0.0.1", port: 1, timeout: .seconds(5)).deliver(message)
        }
    }
}
