import AsyncHTTPClient
import Foundation
import NIOCore

/// `clearsky up` from a release build on free ports and a temporary data folder, with one signed-in user.
struct BenchCluster {
    let up: Process
    let data: String
    let base: String
    let token: String

    static func start(binaries: String) async throws -> BenchCluster {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("clearsky-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let basePort = Int.random(in: 3_000...5_500) * 10
        let port = basePort + 80
        let up = Process()
        up.executableURL = URL(fileURLWithPath: "\(binaries)/clearsky")
        up.arguments = ["up", "--data-dir", data, "--port", "\(port)", "--base-port", "\(basePort)", "--log-level", "warning"]
        var environment = ProcessInfo.processInfo.environment
        environment["CLEARSKY_PASSWORD_ITERATIONS"] = "1000"
        up.environment = environment
        up.standardOutput = FileHandle.nullDevice
        try up.run()
        let base = "http://127.0.0.1:\(port)"
        let deadline = ContinuousClock.now + .seconds(60)
        while (try? await send("GET", "\(base)/healthz").status) != 200 {
            guard ContinuousClock.now < deadline, up.isRunning else { throw BenchError("clearsky up did not turn green") }
            try await Task.sleep(for: .milliseconds(200))
        }
        let user: [String: Any] = ["username": "bench", "email": "bench@example.com", "password": "Corr3ct-horse"]
        _ = try await send("POST", "\(base)/v1/auth/signup", json: user)
        let outbox = "\(data)/mail/outbox"
        let mail = try FileManager.default.contentsOfDirectory(atPath: outbox).map {
            try String(contentsOfFile: "\(outbox)/\($0)", encoding: .utf8)
        }
        guard let code = mail.compactMap({ $0.firstMatch(of: /code (\d{6})/) }).first?.1 else {
            throw BenchError("no confirmation code in the outbox")
        }
        _ = try await send("POST", "\(base)/v1/auth/confirm", json: ["username": "bench", "code": String(code)])
        let login = try await send("POST", "\(base)/v1/auth/login", json: user)
        guard let token = (try JSONSerialization.jsonObject(with: Data(login.body)) as? [String: Any])?["accessToken"] as? String
        else { throw BenchError("login failed: \(String(decoding: login.body, as: UTF8.self))") }
        return BenchCluster(up: up, data: data, base: base, token: token)
    }

    func stop() {
        up.terminate()
        up.waitUntilExit()
        try? FileManager.default.removeItem(atPath: data)
    }

    func call(
        _ method: String, _ path: String, json: [String: Any]? = nil, raw: [UInt8]? = nil,
        contentType: String = "image/jpeg"
    ) async throws -> (status: Int, body: [UInt8]) {
        try await Self.send(method, base + path, json: json, raw: raw, contentType: contentType, token: token)
    }

    static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    static func send(
        _ method: String, _ url: String, json: [String: Any]? = nil, raw: [UInt8]? = nil,
        contentType: String = "image/jpeg", token: String? = nil
    ) async throws -> (status: Int, body: [UInt8]) {
        var request = HTTPClientRequest(url: url)
        request.method = .init(rawValue: method)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: Array(try JSONSerialization.data(withJSONObject: json))))
        } else if let raw {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: raw))
        }
        let response = try await client.execute(request, timeout: .seconds(120))
        let body = try await response.body.collect(upTo: 128 << 20)
        return (Int(response.status.code), Array(buffer: body))
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
