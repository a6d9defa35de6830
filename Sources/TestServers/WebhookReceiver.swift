import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A webhook endpoint on port 0 for tests: it answers a subscription confirmation by echoing the request
/// body (which holds the challenge), refuses the first `failures` notifications with 500, and keeps
/// every request it received.
public final class WebhookReceiver: Sendable {
    public struct Received: Sendable {
        public var path: String
        public var headers: [String: String]
        public var body: String
        /// The status it was answered with.
        public var status: Int
    }

    private let state: Mutex<(failuresLeft: Int, received: [Received])>
    /// When set, every request is answered `307 Temporary Redirect` to this URL (a client must not follow).
    private let redirect: String?

    /// When set, notifications are received but never answered (a black hole); confirmations still are.
    private let stalling: Bool

    public init(failures: Int = 0, redirectingTo redirect: String? = nil, stalling: Bool = false) {
        state = Mutex((failures, []))
        self.redirect = redirect
        self.stalling = stalling
    }

    public var received: [Received] { state.withLock { $0.received } }
    /// The notifications it accepted (2xx), confirmations left out.
    public var delivered: [Received] {
        received.filter { $0.status == 200 && !$0.body.contains("\"SubscriptionConfirmation\"") }
    }

    /// Serves until `body` returns; `body` gets the base URL (`http://127.0.0.1:PORT`).
    public func run<T: Sendable>(_ body: @Sendable (String) async throws -> T) async throws -> T {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMapThrowing {
                    try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(
                        wrappingChannelSynchronously: channel)
                }
            }
        let port = server.channel.localAddress!.port!
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await server.executeThenClose { connections in
                    try await withThrowingDiscardingTaskGroup { connectionGroup in
                        for try await connection in connections {
                            connectionGroup.addTask { try? await self.serve(connection) }
                        }
                    }
                }
            }
            defer { group.cancelAll() }
            return try await body("http://127.0.0.1:\(port)")
        }
    }

    private func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>) async throws {
        try await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body = ByteBuffer()
            for try await part in inbound {
                switch part {
                case .head(let requestHead):
                    (head, body) = (requestHead, ByteBuffer())
                case .body(var chunk):
                    body.writeBuffer(&chunk)
                case .end:
                    guard let requestHead = head else { continue }
                    let text = String(buffer: body)
                    let confirmation = text.contains("\"SubscriptionConfirmation\"")
                    if stalling, !confirmation {
                        state.withLock {
                            $0.received.append(Received(path: requestHead.uri, headers: [:], body: text, status: 0))
                        }
                        try await Task.sleep(for: .seconds(3_600))
                    }
                    let status = state.withLock { state -> Int in
                        var status = redirect == nil ? 200 : 307
                        if redirect == nil, !confirmation, state.failuresLeft > 0 {
                            state.failuresLeft -= 1
                            status = 500
                        }
                        var headers: [String: String] = [:]
                        for (name, value) in requestHead.headers { headers[name.lowercased()] = value }
                        state.received.append(
                            Received(path: requestHead.uri, headers: headers, body: text, status: status))
                        return status
                    }
                    let answer = confirmation ? text : (status == 200 ? "ok" : "try again")
                    var headers = HTTPHeaders()
                    headers.add(name: "Content-Length", value: String(answer.utf8.count))
                    headers.add(name: "Content-Type", value: "text/plain")
                    if let redirect { headers.add(name: "Location", value: redirect) }
                    try await outbound.write(
                        .head(
                            HTTPResponseHead(
                                version: requestHead.version, status: HTTPResponseStatus(statusCode: status),
                                headers: headers)))
                    try await outbound.write(.body(.byteBuffer(ByteBuffer(string: answer))))
                    try await outbound.write(.end(nil))
                }
            }
        }
    }
}
