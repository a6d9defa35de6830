import Foundation

/// One plain-text email.
public struct MailMessage: Sendable, Equatable {
    public var from: String
    public var to: String
    public var subject: String
    public var body: String

    public init(from: String, to: String, subject: String, body: String) {
        (self.from, self.to, self.subject, self.body) = (from, to, subject, body)
    }

    /// The message as RFC 5322 text (CRLF line ends), with Date and a Message-ID. Header values lose any
    /// CR or LF, so no caller-supplied text can add a header.
    public func rfc5322(date: Date = Date(), messageID: String) -> String {
        func header(_ value: String) -> String {
            String(value.unicodeScalars.filter { $0 != "\r" && $0 != "\n" })
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        let lines = [
            "From: \(header(from))",
            "To: \(header(to))",
            "Subject: \(header(subject))",
            "Date: \(formatter.string(from: date))",
            "Message-ID: <\(header(messageID))>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: 8bit",
            "",
        ]
        let bodyLines = body.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            // Dot-stuffing (RFC 5321 §4.5.2): every line that starts with "." gets one more, so that no line
            // ends DATA early and the receiver's un-stuffing gives back the text (L2). A stray CR would let
            // a line end early too.
            let text = String(line.unicodeScalars.filter { $0 != "\r" })
            return text.hasPrefix(".") ? "." + text : text
        }
        return (lines + bodyLines).joined(separator: "\r\n") + "\r\n"
    }
}

/// Somewhere mail goes: SMTP, or the outbox folder.
public protocol MailDelivery: Sendable {
    func deliver(_ message: MailMessage) async throws
}
