import Contracts
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import ServiceRuntime
import Testing
import Wire
import WireTesting

@testable import Gateway

#if canImport(Glibc)
    import Glibc
#endif

/// M2: the real HTTP server (port 0) with the gateway's timeouts and connection cap. A thousand
/// connections that trickle their headers are closed once the header timeout passes, and a normal client
/// gets its answers meanwhile.
@Suite(.serialized) struct SlowClientTests {
    static func app(_ settings: GatewaySettings) -> some ApplicationProtocol {
        var peers: [ServiceName: WireEndpoint] = [:]
        for service in ServiceName.backends { peers[service] = WireEndpoint(host: "127.0.0.1", port: 1) }
        let configuration = ServiceConfiguration(
            service: .gateway, listen: WireEndpoint(host: "127.0.0.1", port: 0), dataDirectory: "/nonexistent",
            secretFile: "/nonexistent")
        var logger = Logger(label: "slow-client-test")
        logger.logLevel = .critical
        return GatewayApp.make(
            configuration: configuration, backends: Backends(peers: peers, credentials: .plain(WireHarness.secret)),
            logger: logger,
            settings: settings)
    }

    /// A blocking TCP connection to 127.0.0.1:`port`, or -1.
    static func connectSocket(_ port: Int) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        if !connected {
            close(fd)
            return -1
        }
        return fd
    }

    static func send(_ fd: Int32, _ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    /// Whether the server has closed `fd` (end of stream or reset), without waiting.
    static func closedByServer(_ fd: Int32) -> Bool {
        var byte: UInt8 = 0
        let read = recv(fd, &byte, 1, Int32(MSG_DONTWAIT))
        return read == 0 || (read < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
    }

    /// A fresh connection's request, and the first line of its answer ("" when none came).
    static func statusLine(_ port: Int, _ request: String) -> String {
        let fd = connectSocket(port)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard send(fd, request) else { return "" }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(fd, &buffer, buffer.count, 0)
        return String(decoding: buffer.prefix(max(0, count)), as: UTF8.self)
    }

    @Test func aThousandTricklingConnectionsAreCutAndANormalClientIsServed() async throws {
        var settings = GatewaySettings()
        settings.headerTimeout = .seconds(2)
        settings.maxConnections = 2000
        try await Self.app(settings).test(.live) { client in
            let port = try #require(client.port)
            // Blocking socket calls run on Offload's threads: on the cooperative pool they would starve
            // the server's own tasks of the two cores' threads.
            let sockets = await Offload.run {
                (0..<1000).map { _ in
                    let fd = Self.connectSocket(port)
                    if fd >= 0, !Self.send(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\n") { return Int32(-1) }
                    return fd
                }
            }
            defer { for fd in sockets where fd >= 0 { close(fd) } }
            #expect(sockets.allSatisfy { $0 >= 0 })
            // Half a second apart, one more header line each; a normal client asks in between.
            var answered = 0
            for round in 0..<8 {
                let status = await Offload.run {
                    for (index, fd) in sockets.enumerated() { _ = Self.send(fd, "X-Slow-\(round)-\(index): 1\r\n") }
                    // No backend runs here, so the gateway answers 503 — an answer all the same.
                    return Self.statusLine(port, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                }
                if status.hasPrefix("HTTP/1.1 503") || status.hasPrefix("HTTP/1.1 200") { answered += 1 }
                try await Task.sleep(for: .milliseconds(500))
            }
            #expect(answered == 8)
            // The header timeout (2 s) has passed for every trickler: the server closed them.
            let closed = try await eventually(timeout: .seconds(10)) {
                sockets.allSatisfy { Self.closedByServer($0) }
            }
            #expect(closed)
        }
    }

    @Test func aPromptRequestIsAnsweredWithTheSecurityHeaders() async throws {
        var settings = GatewaySettings()
        settings.headerTimeout = .seconds(1)
        try await Self.app(settings).test(.live) { client in
            let port = try #require(client.port)
            let answer = await Offload.run {
                Self.statusLine(port, "GET /openapi-missing HTTP/1.1\r\nHost: x\r\n\r\n")
            }
            #expect(answer.hasPrefix("HTTP/1.1 404"))
            #expect(answer.lowercased().contains("x-content-type-options: nosniff"))
        }
    }
}
