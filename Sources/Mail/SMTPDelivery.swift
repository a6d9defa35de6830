import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// Delivers mail to an SMTP relay (RFC 5321): EHLO, STARTTLS (RFC 3207) and EHLO again, AUTH PLAIN
/// (RFC 4954), MAIL FROM, RCPT TO, DATA, QUIT, one connection per message; or the same over implicit
/// TLS (port 465, RFC 8314). Certificates are verified against the system's roots or a CA file, with
/// the relay's host name. Credentials are never sent over a connection that is not encrypted.
public struct SMTPDelivery: MailDelivery {
    /// How the connection is protected.
    public enum Security: String, Sendable, CaseIterable {
        /// STARTTLS when the relay offers it, else plain (a relay on the host or a private network).
        case opportunistic = "auto"
        /// STARTTLS, and no mail when the relay does not offer it.
        case startTLS = "starttls"
        /// TLS from the first byte (SMTPS, port 465).
        case implicitTLS = "tls"
        /// Never TLS.
        case plain = "none"
    }

    public struct Credentials: Sendable {
        public var username: String
        public var password: String

        public init(username: String, password: String) { (self.username, self.password) = (username, password) }
    }

    public let host: String
    public let port: Int
    /// The name this client gives in EHLO.
    public let heloName: String
    public let timeout: Duration
    public let security: Security
    public let credentials: Credentials?
    /// A PEM file of the CA certificates to trust instead of the system's.
    public let caFile: String?

    public init(
        host: String, port: Int, heloName: String = "clearsky.local", timeout: Duration = .seconds(30),
        security: Security = .opportunistic, credentials: Credentials? = nil, caFile: String? = nil
    ) {
        (self.host, self.port, self.heloName, self.timeout) = (host, port, heloName, timeout)
        (self.security, self.credentials, self.caFile) = (security, credentials, caFile)
    }

    public func deliver(_ message: MailMessage) async throws {
        let tls = security == .plain ? nil : try makeTLSContext()
        let implicit = security == .implicitTLS
        let serverName = Self.isIPAddress(host) ? nil : host
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(10))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if implicit, let tls {
                        try channel.pipeline.syncOperations.addHandler(
                            try NIOSSLClientHandler(context: tls, serverHostname: serverName))
                    }
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await channel.executeThenClose { inbound, outbound in
                    var session = SMTPSession(replies: inbound.makeAsyncIterator(), outbound: outbound)
                    try await session.expect(220)
                    var features = try await session.command("EHLO \(heloName)", expect: 250)
                    var encrypted = implicit
                    if !encrypted, let tls, security == .startTLS || features.contains("STARTTLS") {
                        guard features.contains("STARTTLS") else {
                            throw SMTPError(message: "the relay does not offer STARTTLS")
                        }
                        try await session.command("STARTTLS", expect: 220)
                        try await session.requireNothingPending()
                        let handler = try NIOSSLClientHandler(context: tls, serverHostname: serverName)
                        try await channel.channel.pipeline.addHandler(handler, position: .first).get()
                        encrypted = true
                        features = try await session.command("EHLO \(heloName)", expect: 250)
                    }
                    if let credentials {
                        guard encrypted else {
                            throw SMTPError(message: "credentials are only sent over TLS; the relay offered none")
                        }
                        guard features.contains(where: { $0.hasPrefix("AUTH") && $0.contains("PLAIN") }) else {
                            throw SMTPError(message: "the relay does not offer AUTH PLAIN")
                        }
                        let plain = Data(("\0" + credentials.username + "\0" + credentials.password).utf8)
                        try await session.command("AUTH PLAIN " + plain.base64EncodedString(), expect: 235)
                    }
                    try await session.command("MAIL FROM:<\(Self.address(message.from))>", expect: 250)
                    try await session.command("RCPT TO:<\(Self.address(message.to))>", expect: 250)
                    try await session.command("DATA", expect: 354)
                    let text = message.rfc5322(messageID: "\(UUID().uuidString.lowercased())@clearsky")
                    try await session.command(text + ".", expect: 250)
                    try await session.command("QUIT", expect: 221)
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw SMTPError(message: "no answer from \(host):\(port) within \(timeout)")
            }
            try await group.next()
            group.cancelAll()
        }
    }

    private func makeTLSContext() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        if let caFile { configuration.trustRoots = .file(caFile) }
        // A relay named by its IP address cannot be checked by name; its chain still is.
        if Self.isIPAddress(host) { configuration.certificateVerification = .noHostnameVerification }
        return try NIOSSLContext(configuration: configuration)
    }

    static func isIPAddress(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    /// The bare address of `Name <address>` or `address`, with nothing that could end the command.
    static func address(_ mailbox: String) -> String {
        var text = mailbox
        if let open = text.lastIndex(of: "<"), let close = text.lastIndex(of: ">"), open < close {
            text = String(text[text.index(after: open)..<close])
        }
        return String(text.unicodeScalars.filter { $0 != "\r" && $0 != "\n" && $0 != "<" && $0 != ">" })
    }
}

/// An SMTP reply that was not the one expected, or a broken connection.
public struct SMTPError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { "SMTP: \(message)" }
}

/// Reads replies (possibly multi-line: "250-…" lines until "250 …") and sends commands.
private struct SMTPSession {
    var replies: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    var pending = ""

    init(
        replies: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator,
        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    ) {
        self.replies = replies
        self.outbound = outbound
    }

    /// Sends a command and reads its reply; the reply's lines after the first (EHLO's extensions,
    /// upper-cased).
    @discardableResult
    mutating func command(_ line: String, expect code: Int) async throws -> [String] {
        try await outbound.write(ByteBuffer(string: line + "\r\n"))
        return try await expect(code)
    }

    @discardableResult
    mutating func expect(_ code: Int) async throws -> [String] {
        var lines: [String] = []
        while true {
            let line = try await nextLine()
            guard line.count >= 3, let reply = Int(line.prefix(3)) else {
                throw SMTPError(message: "unreadable reply '\(line.prefix(80))'")
            }
            lines.append(String(line.dropFirst(4)).uppercased())
            let last = line.count == 3 || line[line.index(line.startIndex, offsetBy: 3)] == " "
            guard lines.count <= 100 else { throw SMTPError(message: "a reply of more than 100 lines") }
            if !last { continue }
            guard reply == code else { throw SMTPError(message: "expected \(code), got '\(line.prefix(200))'") }
            return Array(lines.dropFirst())
        }
    }

    /// After STARTTLS's 220 nothing may be buffered: plaintext read now would be taken as coming over TLS
    /// (the STARTTLS command injection of CVE-2011-0411).
    func requireNothingPending() throws {
        guard pending.isEmpty else { throw SMTPError(message: "the relay sent data after its STARTTLS reply") }
    }

    private mutating func nextLine() async throws -> String {
        while true {
            if let end = pending.range(of: "\r\n") {
                let line = String(pending[..<end.lowerBound])
                pending.removeSubrange(..<end.upperBound)
                return line
            }
            guard pending.utf8.count < 64 * 1024, let buffer = try await replies.next() else {
                throw SMTPError(message: "the connection closed mid-reply")
            }
            pending += String(buffer: buffer)
        }
    }
}
