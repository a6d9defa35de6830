import Foundation
import NIOCore
import NIOPosix

/// Delivers mail to an SMTP relay (RFC 5321): EHLO, MAIL FROM, RCPT TO, DATA, QUIT, one connection per
/// message. Plain TCP without authentication, for a relay on the host or the cluster's network (a
/// local Postfix, a mail container); TLS and AUTH are not spoken.
public struct SMTPDelivery: MailDelivery {
    public let host: String
    public let port: Int
    /// The name this client gives in EHLO.
    public let heloName: String
    public let timeout: Duration

    public init(host: String, port: Int, heloName: String = "clearsky.local", timeout: Duration = .seconds(30)) {
        (self.host, self.port, self.heloName, self.timeout) = (host, port, heloName, timeout)
    }

    public func deliver(_ message: MailMessage) async throws {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(10))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await channel.executeThenClose { inbound, outbound in
                    var session = SMTPSession(replies: inbound.makeAsyncIterator(), outbound: outbound)
                    try await session.expect(220)
                    try await session.command("EHLO \(heloName)", expect: 250)
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

    mutating func command(_ line: String, expect code: Int) async throws {
        try await outbound.write(ByteBuffer(string: line + "\r\n"))
        try await expect(code)
    }

    mutating func expect(_ code: Int) async throws {
        while true {
            let line = try await nextLine()
            guard line.count >= 3, let reply = Int(line.prefix(3)) else {
                throw SMTPError(message: "unreadable reply '\(line.prefix(80))'")
            }
            let last = line.count == 3 || line[line.index(line.startIndex, offsetBy: 3)] == " "
            if !last { continue }
            guard reply == code else { throw SMTPError(message: "expected \(code), got '\(line.prefix(200))'") }
            return
        }
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
