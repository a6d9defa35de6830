import Foundation

/// Where a service's mail goes: the SMTP relay of `--smtp` or `CLEARSKY_SMTP_ADDR` (`host:port`) when one
/// is given, else RFC 5322 files in the data folder's `mail/outbox/`. For a relay:
/// `CLEARSKY_SMTP_TLS` (`auto`: STARTTLS when offered, the default; `starttls`: required; `tls`:
/// implicit TLS; `none`), `CLEARSKY_SMTP_USER` with `CLEARSKY_SMTP_PASSWORD` or
/// `CLEARSKY_SMTP_PASSWORD_FILE` (AUTH PLAIN, over TLS only), `CLEARSKY_SMTP_CA_FILE` (PEM roots to trust
/// instead of the system's).
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
        let tlsText = environment["CLEARSKY_SMTP_TLS"].flatMap { $0.isEmpty ? nil : $0.lowercased() } ?? "auto"
        guard let security = SMTPDelivery.Security(rawValue: tlsText) else {
            throw MailConfigurationError(
                message: "CLEARSKY_SMTP_TLS must be auto, starttls, tls or none, got '\(tlsText)'")
        }
        var credentials: SMTPDelivery.Credentials?
        if let user = environment["CLEARSKY_SMTP_USER"], !user.isEmpty {
            var password = environment["CLEARSKY_SMTP_PASSWORD"] ?? ""
            if let file = environment["CLEARSKY_SMTP_PASSWORD_FILE"], !file.isEmpty {
                guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                    throw MailConfigurationError(message: "CLEARSKY_SMTP_PASSWORD_FILE '\(file)' cannot be read")
                }
                password = text.trimmingCharacters(in: .newlines)
            }
            guard security != .plain else {
                throw MailConfigurationError(message: "CLEARSKY_SMTP_USER needs TLS; CLEARSKY_SMTP_TLS is none")
            }
            credentials = .init(username: user, password: password)
        }
        let caFile = environment["CLEARSKY_SMTP_CA_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        return SMTPDelivery(
            host: String(relay[..<colon]), port: port, security: security, credentials: credentials, caFile: caFile)
    }
}

public struct MailConfigurationError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
