import BenchSupport
import ClusterCertificates
import Contracts
import Foundation
import Wire

/// Wire against gRPC and a raw TCP floor, and the codec against Foundation's JSON, in one run.
///
///     WireBench [--grpc-peer PATH] [--quick]   (plain Wire, Wire over mutual TLS 1.3, gRPC, raw TCP)
///     WireBench --mib-only [--one]    (just the 1 MiB Wire echo, for profiling; --one: one caller only)
///     WireBench --small-only          (just the floor and the 16 B Wire echoes, both handler kinds)
///
/// The Wire, gRPC and TCP servers each run in their own process; the Wire and TCP clients run here,
/// the gRPC client in its own process.
@main
enum WireBench {
    static func main() async throws {
        let arguments = CommandLine.arguments
        switch arguments.dropFirst().first {
        case "serve-wire":
            try await serveWire(tls: arguments.firstIndex(of: "--tls").map { arguments[$0 + 1] })
        case "serve-tcp": serveTCP()
        case "codec":
            let codec = try measureCodec()
            print(
                String(
                    format: "ns/op: encode Wire %.0f JSON %.0f (%.1f×); decode Wire %.0f JSON %.0f (%.1f×)",
                    codec.wireEncode, codec.jsonEncode, codec.jsonEncode / codec.wireEncode, codec.wireDecode,
                    codec.jsonDecode, codec.jsonDecode / codec.wireDecode)
            )
        default: try await run(arguments)
        }
    }

    static func run(_ arguments: [String]) async throws {
        let quick = arguments.contains("--quick")
        let grpcPeer = arguments.firstIndex(of: "--grpc-peer").map { arguments[$0 + 1] }
        let me = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        let seconds = quick ? 1 : 3
        let smallIterations = quick ? 2_000 : 20_000
        let bigIterations = quick ? 50 : 300
        let mebibyte = 1 << 20

        print(
            "Wire benchmark: release build, loopback, servers in separate processes, \(ProcessInfo.processInfo.activeProcessorCount) cores"
        )
        let tcpServer = try Peer(me, ["serve-tcp"])
        let tcp = measureTCP(port: tcpServer.port, size: 16, iterations: smallIterations)

        let wireServer = try Peer(me, ["serve-wire"])
        let client = WireClient(
            endpoint: WireEndpoint(host: "127.0.0.1", port: wireServer.port), service: "Bench", secret: benchSecret,
            poolSize: 1)
        func wire(
            _ size: Int, _ iterations: Int, callers: Int = 64, method: Method<EchoBody, EchoBody> = echoMethod,
            client: WireClient = client
        ) async throws -> Figures {
            let body = EchoBody(payload: [UInt8](repeating: 0x5a, count: size))
            return try await measure(iterations: iterations, callers: callers, seconds: callers == 0 ? 0 : seconds) {
                let reply = try await client.call(method, body)
                precondition(reply.payload.count == size)
            }
        }
        if arguments.contains("--mib-only") {
            let figures = try await wire(mebibyte, 3000, callers: arguments.contains("--one") ? 0 : 64)
            print("1 MiB p50 \(figures.p50) µs, \(figures.requestsPerSecond) req/s")
            return
        }
        let wireSmall = try await wire(16, smallIterations)
        let wireSmallOnLoop = try await wire(16, smallIterations, method: loopEchoMethod)
        if arguments.contains("--small-only") {
            print(
                String(
                    format:
                        "16 B p50: raw TCP %.1f µs, Wire in a task %.1f µs (%.2f×, %.0f req/s), on the event loop %.1f µs (%.2f×, %.0f req/s)",
                    tcp.p50, wireSmall.p50, wireSmall.p50 / tcp.p50, wireSmall.requestsPerSecond, wireSmallOnLoop.p50,
                    wireSmallOnLoop.p50 / tcp.p50, wireSmallOnLoop.requestsPerSecond))
            return
        }
        let tcpBig = measureTCP(port: tcpServer.port, size: mebibyte, iterations: bigIterations)
        let wireBig = try await wire(mebibyte, bigIterations)
        await client.close()

        // The same echoes over mutual TLS 1.3, as a cluster with certificates runs them.
        let certificates = try benchCertificates()
        defer { try? FileManager.default.removeItem(atPath: certificates.path) }
        let tlsServer = try Peer(me, ["serve-wire", "--tls", certificates.path])
        let tlsClient = WireClient(
            endpoint: WireEndpoint(host: "127.0.0.1", port: tlsServer.port), service: "Bench", secret: benchSecret,
            tls: try certificates.tls(for: benchClient), poolSize: 1)
        let tlsSmall = try await wire(16, smallIterations, client: tlsClient)
        let tlsSmallOnLoop = try await wire(16, smallIterations, method: loopEchoMethod, client: tlsClient)
        let tlsBig = try await wire(mebibyte, bigIterations, client: tlsClient)
        await tlsClient.close()

        var grpcSmall: Figures?
        var grpcBig: Figures?
        if let grpcPeer {
            let server = try Peer(grpcPeer, ["serve"])
            func grpc(_ size: Int, _ iterations: Int) throws -> Figures {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: grpcPeer)
                process.arguments = ["client", "\(server.port)", "\(size)", "\(iterations)", "64", "\(seconds)"]
                let output = Pipe()
                process.standardOutput = output
                try process.run()
                let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                process.waitUntilExit()
                guard let figures = Figures(resultIn: text) else { throw CocoaError(.fileReadCorruptFile) }
                return figures
            }
            grpcSmall = try grpc(16, smallIterations)
            grpcBig = try grpc(mebibyte, bigIterations)
        }
        let codec = try measureCodec()

        func row(_ name: String, _ figures: Figures?, bytes: Int) -> String {
            guard let figures else { return "| \(name) | – | – | – | – |" }
            let throughput = figures.requestsPerSecond * Double(bytes) / 1e6
            return String(
                format: "| %@ | %.1f | %.1f | %.0f | %.1f |", name, figures.p50, figures.p99, figures.requestsPerSecond,
                throughput)
        }
        print("")
        print(
            "| unary echo | p50 µs (1 caller) | p99 µs (1 caller) | req/s (64 in flight, 1 connection) | payload MB/s |"
        )
        print("|---|---|---|---|---|")
        print(row("raw TCP ping-pong 16 B (floor)", tcp, bytes: 16))
        print(row("Wire 16 B, handler in a task", wireSmall, bytes: 16))
        print(row("Wire 16 B, handler on the event loop", wireSmallOnLoop, bytes: 16))
        print(row("Wire over mutual TLS 1.3 16 B, handler in a task", tlsSmall, bytes: 16))
        print(row("Wire over mutual TLS 1.3 16 B, on the event loop", tlsSmallOnLoop, bytes: 16))
        print(row("gRPC-swift-2 HTTP/2 16 B", grpcSmall, bytes: 16))
        print(row("raw TCP ping-pong 1 MiB (floor)", tcpBig, bytes: mebibyte))
        print(row("Wire 1 MiB", wireBig, bytes: mebibyte))
        print(row("Wire over mutual TLS 1.3 1 MiB", tlsBig, bytes: mebibyte))
        print(row("gRPC-swift-2 HTTP/2 1 MiB", grpcBig, bytes: mebibyte))
        print("")
        if let grpcSmall, let grpcBig {
            print(
                String(
                    format: "Wire / gRPC requests/s, 16 B: %.2f× in a task, %.2f× on the event loop (target ≥ 3×)",
                    wireSmall.requestsPerSecond / grpcSmall.requestsPerSecond,
                    wireSmallOnLoop.requestsPerSecond / grpcSmall.requestsPerSecond))
            print(
                String(
                    format:
                        "Wire over TLS / gRPC (plaintext HTTP/2) requests/s, 16 B: %.2f× in a task, %.2f× on the event loop (target ≥ 5×)",
                    tlsSmall.requestsPerSecond / grpcSmall.requestsPerSecond,
                    tlsSmallOnLoop.requestsPerSecond / grpcSmall.requestsPerSecond))
            print(
                String(
                    format: "Wire / gRPC requests/s, 1 MiB: %.2f× plain, %.2f× over TLS",
                    wireBig.requestsPerSecond / grpcBig.requestsPerSecond,
                    tlsBig.requestsPerSecond / grpcBig.requestsPerSecond))
        }
        print(
            String(
                format: "TLS costs, 16 B: p50 %.1f → %.1f µs, %.0f → %.0f req/s (in a task); 1 MiB: %.2f → %.2f GB/s",
                wireSmall.p50, tlsSmall.p50, wireSmall.requestsPerSecond, tlsSmall.requestsPerSecond,
                wireBig.requestsPerSecond * Double(mebibyte) / 1e9, tlsBig.requestsPerSecond * Double(mebibyte) / 1e9))
        print(
            String(
                format: "Wire p50 / raw TCP p50, 16 B: %.2f× in a task, %.2f× on the event loop (target ≤ 2×)",
                wireSmall.p50 / tcp.p50, wireSmallOnLoop.p50 / tcp.p50))
        print(
            String(
                format:
                    "Wire 1 MiB echo: %.2f GB/s with 64 in flight, %.2f GB/s for one caller (target ≥ 1 GB/s; raw TCP one caller %.2f GB/s)",
                wireBig.requestsPerSecond * Double(mebibyte) / 1e9, Double(mebibyte) / wireBig.p50 / 1e3,
                Double(mebibyte) / tcpBig.p50 / 1e3))
        print("")
        print(
            "| codec, ImageRecord (\(codec.wireBytes) B Wire, \(codec.jsonBytes) B JSON) | Wire ns/op | JSON ns/op | JSON / Wire |"
        )
        print("|---|---|---|---|")
        print(
            String(
                format: "| encode | %.0f | %.0f | %.1f× |", codec.wireEncode, codec.jsonEncode,
                codec.jsonEncode / codec.wireEncode))
        print(
            String(
                format: "| decode | %.0f | %.0f | %.1f× |", codec.wireDecode, codec.jsonDecode,
                codec.jsonDecode / codec.wireDecode))
    }
}
