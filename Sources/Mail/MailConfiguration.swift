import Foundation

/// Where a service's mail goes: the SMTP relay of `--smtp` or `CLEARSKY_SMTP_ADDR` (`host:port`) when one
/// is given, else RFC 5322 files in the data folder's `mail/outbox/`.
public enum MailConfiguration {
    public static func delivery(
        smtp flag: String?, dataDirectory: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> any MailDelivery {
        guard let relay = flag ?? environment["CLEARSKY_SMTP_ADDR"].flatMap({ $0.isEmpty ? nil : $0 }) else {
            return try Outbox(folder: "\(dataDirectory)/mail/outbox")
        }
        guard let colon = relay.lastIndex(of: ":"), let port = Int(relay[relay.index(after: colon)...]),
            (1...65535).contains(port), colon > relay.startIndex
        else { throw MailConfigurationError(message: "--smtp must be host:port, got '\(relay)'") }
        return SMTPDelivery(host: String(relay[..<colon]), port: port)
    }
}

public struct MailConfigurationError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
