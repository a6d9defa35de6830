import NIOCore
import NIOPosix
import Synchronization

/// A tiny SMTP server on port 0 that accepts every message and keeps what it was told.
final class FakeSMTPServer: Sendable {
    let transcripts = Mutex<[String]>([])
    /// Replies with this code to RCPT TO, to test refusals.
    let rcptReply: Int

    init(rcptReply: Int = 250) { self.rcptReply = rcptReply }

    func run<T>(_ body: (Int) async throws -> T) async throws -> T {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let port = server.channel.localAddress!.port!
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await server.executeThenClose { connections in
                    for try await connection in connections { try await self.serve(connection) }
                }
            }
            defer { group.cancelAll() }
            return try await body(port)
        }
    }

    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async throws {
        try await connection.executeThenClose { inbound, outbound in
            var transcript = ""
            var pending = ""
            var inData = false
            try await outbound.write(ByteBuffer(string: "220 fake ESMTP\r\n"))
            for try await buffer in inbound {
                pending += String(buffer: buffer)
                while let end = pending.range(of: "\r\n") {
                    let line = String(pending[..<end.lowerBound])
                    pending.removeSubrange(..<end.upperBound)
                    transcript += line + "\n"
                    if inData {
                        if line == "." {
                            inData = false
                            try await outbound.write(ByteBuffer(string: "250 queued\r\n"))
                        }
                        continue
                    }
                    let reply: String =
                        switch line.prefix(4).uppercased() {
                        case "EHLO": "250-fake\r\n250 8BITMIME\r\n"
                        case "MAIL": "250 ok\r\n"
                        case "RCPT": "\(rcptReply) recipient\r\n"
                        case "DATA": "354 go ahead\r\n"
                        case "QUIT": "221 bye\r\n"
                        default: "500 what\r\n"
                        }
                    if line.uppercased() == "DATA" { inData = true }
                    try await outbound.write(ByteBuffer(string: reply))
                    if line.uppercased() == "QUIT" {
                        transcripts.withLock { $0.append(transcript) }
                        return
                    }
                }
            }
            transcripts.withLock { $0.append(transcript) }
        }
    }
}
