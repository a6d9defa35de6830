import BenchSupport
import ClusterCertificates
import Contracts
import Foundation
import Logging
import NIOPosix
import Wire

/// The echo message both sides of the Wire benchmark use.
struct EchoBody: Codable, Sendable {
    var payload: [UInt8]
    enum CodingKeys: Int, CodingKey { case payload = 1 }
}

let echoMethod = Method<EchoBody, EchoBody>(id: 100, name: "bench.echo")
/// The same echo registered with `registerOnEventLoop` (answered on the connection's event loop, no task).
let loopEchoMethod = Method<EchoBody, EchoBody>(id: 101, name: "bench.echoOnLoop")
let benchSecret = ClusterSecret(bytes: Array(repeating: 42, count: 32))

/// The certificates of the TLS rows: a CA, the server ("Bench") and the client ("Gateway"), made by the
/// same code as `clearsky certs`, in a temporary folder.
func benchCertificates() throws -> CertificateFolder {
    let folder = CertificateFolder(NSTemporaryDirectory() + "clearsky-wirebench-\(UUID().uuidString)")
    try folder.create(members: [benchServer, benchClient])
    return folder
}

let benchServer = CertificateFolder.Member(file: "bench", identity: "Bench")
let benchClient = CertificateFolder.Member(file: "gateway", identity: "Gateway")

/// `WireBench serve-wire [--tls FOLDER]`: a Wire echo server in its own process, plain or over mutual TLS.
func serveWire(tls folder: String?) async throws {
    var router = WireRouter()
    router.register(echoMethod) { request, _ in request }
    router.registerOnEventLoop(loopEchoMethod) { request, _ in request }
    var logger = Logger(label: "bench")
    logger.logLevel = .warning
    let server = WireServer(
        configuration: WireServerConfiguration(service: "Bench"), router: router, secret: benchSecret,
        tls: try folder.map { try CertificateFolder($0).tls(for: benchServer) }, logger: logger)
    try await withThrowingDiscardingTaskGroup { group in
        group.addTask { try await server.run() }
        printLine("PORT \(try await server.localAddress().port!)")
    }
}

/// `WireBench serve-tcp`: the floor, a blocking echo of messages framed by a `u32` length.
func serveTCP() {
    let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
            bind(listener, pointer, length)
            listen(listener, 16)
            return getsockname(listener, pointer, &length)
        }
    }
    printLine("PORT \(UInt16(bigEndian: address.sin_port))")
    while true {
        let connection = accept(listener, nil, nil)
        guard connection >= 0 else { continue }
        Thread.detachNewThread {
            var buffer = [UInt8](repeating: 0, count: 4)
            while readFully(connection, &buffer, count: 4) {
                let length = buffer[0..<4].reduce(0) { $0 << 8 | Int($1) }
                guard length <= 64 << 20, readFully(connection, &buffer, count: 4 + length, from: 4),
                    writeFully(connection, buffer[0..<4 + length])
                else { break }
            }
            close(connection)
        }
    }
}

/// Reads bytes `start..<count` of `buffer` (grown when shorter).
func readFully(_ fd: Int32, _ buffer: inout [UInt8], count: Int, from start: Int = 0) -> Bool {
    if buffer.count < count { buffer += [UInt8](repeating: 0, count: count - buffer.count) }
    var got = start
    while got < count {
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + got, count - got) }
        if n <= 0 { return false }
        got += n
    }
    return true
}

func writeFully(_ fd: Int32, _ bytes: some Collection<UInt8>) -> Bool {
    bytes.withContiguousStorageIfAvailable { bytes in
        var sent = 0
        while sent < bytes.count {
            let n = write(fd, bytes.baseAddress! + sent, bytes.count - sent)
            if n <= 0 { return false }
            sent += n
        }
        return true
    } ?? false
}

/// A child process that prints `PORT n` on its first line.
final class Peer {
    let process = Process()
    let port: Int

    init(_ executable: String, _ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        var line = ""
        while !line.hasSuffix("\n") {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            guard !byte.isEmpty else { throw CocoaError(.fileReadUnknown) }
            line += String(decoding: byte, as: UTF8.self)
        }
        guard let port = Int(line.dropFirst(5).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw CocoaError(.fileReadCorruptFile)
        }
        self.port = port
    }

    deinit {
        // SIGKILL: the blocking TCP peer does not stop on SIGTERM, and a survivor would hold our stdout open.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
