import BenchSupport
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2

/// Raw bytes in and out, so that gRPC pays no protobuf cost the Wire side does not pay either.
struct RawSerializer: MessageSerializer, MessageDeserializer {
    func serialize<Bytes: GRPCContiguousBytes>(_ message: [UInt8]) throws -> Bytes { Bytes(message) }
    func deserialize<Bytes: GRPCContiguousBytes>(_ bytes: Bytes) throws -> [UInt8] {
        bytes.withUnsafeBytes { Array($0) }
    }
}

let echo = MethodDescriptor(fullyQualifiedService: "bench.Echo", method: "Echo")

struct EchoService: RegistrableRPCService {
    func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        router.registerHandler(forMethod: echo, deserializer: RawSerializer(), serializer: RawSerializer()) {
            request, _ in
            var message: [UInt8] = []
            for try await part in request.messages { message = part }
            return StreamingServerResponse(single: ServerResponse(message: message))
        }
    }
}

/// `GRPCPeer serve` prints `PORT n` and serves until killed.
/// `GRPCPeer client PORT SIZE ITERATIONS CALLERS SECONDS` prints `RESULT p50_us p99_us requests_per_s`.
@main
enum GRPCPeer {
    static func main() async throws {
        let arguments = CommandLine.arguments
        switch arguments.dropFirst().first {
        case "serve":
            let server = GRPCServer(
                transport: .http2NIOPosix(address: .ipv4(host: "127.0.0.1", port: 0), transportSecurity: .plaintext),
                services: [EchoService()])
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { try await server.serve() }
                guard let address = try await server.listeningAddress?.ipv4 else { fatalError("no address") }
                printLine("PORT \(address.port)")
            }
        case "client":
            let numbers = arguments.dropFirst(2).compactMap { Int($0) }
            guard numbers.count == 5 else { fatalError("client PORT SIZE ITERATIONS CALLERS SECONDS") }
            try await client(
                port: numbers[0], size: numbers[1], iterations: numbers[2], callers: numbers[3], seconds: numbers[4])
        default:
            print("usage: GRPCPeer serve | client PORT SIZE ITERATIONS CALLERS SECONDS")
        }
    }

    static func client(port: Int, size: Int, iterations: Int, callers: Int, seconds: Int) async throws {
        let payload = [UInt8](repeating: 0x5a, count: size)
        try await withGRPCClient(
            transport: .http2NIOPosix(target: .ipv4(host: "127.0.0.1", port: port), transportSecurity: .plaintext)
        ) { client in
            @Sendable func call() async throws {
                let reply = try await client.unary(
                    request: ClientRequest(message: payload), descriptor: echo, serializer: RawSerializer(),
                    deserializer: RawSerializer(), options: .defaults
                ) { try $0.message }
                precondition(reply.count == size)
            }
            let figures = try await measure(iterations: iterations, callers: callers, seconds: seconds, call)
            printLine(figures.resultLine)
        }
    }
}
