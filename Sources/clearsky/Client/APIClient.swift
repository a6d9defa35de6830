import AsyncHTTPClient
import Contracts
import Foundation
import NIOCore
import NIOHTTP1
import Wire

/// One answer of the REST API.
struct APIResponse: Sendable {
    let status: Int
    let headers: HTTPHeaders
    let body: [UInt8]

    /// The body as a JSON object (`{}` when there is none).
    func object() throws -> [String: Any] {
        if body.isEmpty { return [:] }
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw CLIError.refused("the server's answer is not the JSON object it should be")
        }
        return object
    }

    var text: String { String(decoding: body, as: UTF8.self) }
}

/// A request body: nothing, JSON, raw bytes of a type, or a multipart form with one file.
enum RequestBody: Sendable {
    case none
    case json([String: any Sendable])
    case bytes([UInt8], contentType: String)
    case form(fields: [(String, String)], file: FilePart)

    struct FilePart: Sendable {
        var field = "file"
        var filename: String
        var contentType: String
        var bytes: [UInt8]
    }

    /// The bytes and content type to send.
    func encoded() throws -> (bytes: [UInt8], contentType: String?) {
        switch self {
        case .none: return ([], nil)
        case .json(let object):
            return (
                Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])), "application/json"
            )
        case .bytes(let bytes, let type): return (bytes, type)
        case .form(let fields, let file):
            let boundary =
                "clearsky-"
                + (0..<4).map { _ in String(UInt32.random(in: .min ... .max), radix: 16) }
                .joined()
            var out: [UInt8] = []
            func quoted(_ text: String) -> String {
                text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "%22")
                    .replacingOccurrences(of: "\r", with: "").replacingOccurrences(of: "\n", with: "")
            }
            for (name, value) in fields {
                out += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(quoted(name))\"\r\n\r\n".utf8)
                out += Array(value.utf8) + Array("\r\n".utf8)
            }
            out += Array(
                ("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(quoted(file.field))\"; "
                    + "filename=\"\(quoted(file.filename))\"\r\nContent-Type: \(file.contentType)\r\n\r\n").utf8)
            out += file.bytes
            out += Array("\r\n--\(boundary)--\r\n".utf8)
            return (out, "multipart/form-data; boundary=\(boundary)")
        }
    }
}

/// The REST API as the command line speaks it: JSON or bytes over HTTP, the session's access token
/// on every signed-in call, refreshed by itself when it has expired or the server says so (once), and
/// every failure turned into a `CLIError` with the API's words.
actor APIClient {
    let server: String
    private(set) var session: Session?
    /// Whether `server` was chosen on the command line or in the environment (not taken from the session).
    private let chosen: Bool

    init(server: String?) throws {
        let session = Session.load()
        let named = server ?? ProcessInfo.processInfo.environment["CLEARSKY_URL"].flatMap { $0.isEmpty ? nil : $0 }
        var base = named ?? session?.server ?? "http://127.0.0.1:8080"
        while base.hasSuffix("/") { base.removeLast() }
        guard base.hasPrefix("http://") || base.hasPrefix("https://"), URL(string: base)?.host != nil else {
            throw CLIError.usage("--server must be an http:// or https:// URL, got '\(base)'")
        }
        self.server = base
        self.session = session
        self.chosen = named != nil
    }

    /// One client for the process, never shut down (it lives until exit): a refused or unreachable
    /// server fails at once instead of being retried until the request's deadline, and gzipped JSON is
    /// inflated (at most 100× its size).
    static let http: HTTPClient = {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: .init(connect: .seconds(10)),
            decompression: .enabled(limit: .ratio(100)))
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    /// Sends a request; `signedIn` adds the session's token. `progress` hears (sent, total) bytes.
    func send(
        _ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: RequestBody = .none,
        signedIn: Bool = true, accept: [Int] = [], progress: (@Sendable (Int, Int) -> Void)? = nil,
        timeout: TimeAmount = .seconds(120)
    ) async throws -> APIResponse {
        let encoded = try body.encoded()
        var token: String?
        if signedIn { token = try await accessToken() }
        var response = try await execute(method, path, query, encoded, token: token, progress, timeout)
        if signedIn, response.status == 401 {
            token = try await refresh()
            response = try await execute(method, path, query, encoded, token: token, progress, timeout)
            if response.status == 401 { throw CLIError.signedOut }
        }
        guard (200..<300).contains(response.status) || accept.contains(response.status) else {
            throw Self.failure(response)
        }
        return response
    }

    /// The session's access token, refreshed first when it expires within half a minute.
    private func accessToken() async throws -> String {
        guard let session else { throw CLIError.refused("not signed in, run clearsky auth login") }
        guard !chosen || session.server == server else {
            throw CLIError.refused("signed in to \(session.server), not \(server); run clearsky auth login")
        }
        if session.accessExpiresAt > Date().timeIntervalSince1970 + 30 { return session.accessToken }
        return try await refresh()
    }

    private func refresh() async throws -> String {
        guard let session else { throw CLIError.signedOut }
        let body = try RequestBody.json(["refreshToken": session.refreshToken]).encoded()
        let answer = try await execute(.POST, "/v1/auth/refresh", [], body, token: nil, nil, .seconds(30))
        guard answer.status == 200 else {
            if answer.status == 401 || answer.status == 400 {
                Session.remove()
                self.session = nil
                throw CLIError.signedOut
            }
            throw Self.failure(answer)
        }
        let tokens = try answer.object()
        try adopt(tokens, username: session.username)
        return self.session!.accessToken
    }

    /// Keeps the tokens of a login or refresh answer as the session.
    func adopt(_ tokens: [String: Any], username: String) throws {
        guard let access = tokens["accessToken"] as? String, let refresh = tokens["refreshToken"] as? String,
            let lifetime = tokens["expiresIn"] as? Int
        else { throw CLIError.refused("the server's sign-in answer lacks its tokens") }
        let session = Session(
            server: server, username: username, refreshToken: refresh, accessToken: access,
            accessExpiresAt: Date().timeIntervalSince1970 + Double(lifetime))
        try session.save()
        self.session = session
    }

    func forget() {
        Session.remove()
        session = nil
    }

    private func execute(
        _ method: HTTPMethod, _ path: String, _ query: [(String, String)],
        _ body: (bytes: [UInt8], contentType: String?),
        token: String?, _ progress: (@Sendable (Int, Int) -> Void)?, _ timeout: TimeAmount
    ) async throws -> APIResponse {
        var components = URLComponents()
        components.queryItems = query.isEmpty ? nil : query.map { URLQueryItem(name: $0.0, value: $0.1) }
        // `+` in a query value is a space to most servers: send it encoded.
        let search = (components.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
        var request = HTTPClientRequest(url: server + path + (search.isEmpty ? "" : "?" + search))
        request.method = method
        request.headers.add(name: "User-Agent", value: "clearsky-cli/\(ClearskyVersion.current)")
        request.headers.add(name: "Accept", value: "application/json, */*")
        request.headers.add(name: "Accept-Encoding", value: "gzip")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let type = body.contentType {
            request.headers.add(name: "Content-Type", value: type)
            if let progress {
                request.body = .stream(
                    Chunks(bytes: body.bytes, progress: progress), length: .known(Int64(body.bytes.count)))
            } else {
                request.body = .bytes(ByteBuffer(bytes: body.bytes))
            }
        }
        let response: HTTPClientResponse
        do {
            response = try await Self.http.execute(request, timeout: timeout)
        } catch {
            throw CLIError.unreachable("cannot reach \(server): \(Self.reason(error))")
        }
        do {
            let collected = try await response.body.collect(upTo: 512 << 20)
            return APIResponse(
                status: Int(response.status.code), headers: response.headers, body: Array(buffer: collected))
        } catch {
            throw CLIError.unreachable("\(server) stopped answering: \(Self.reason(error))")
        }
    }

    /// The API's error as one line: its message and code.
    static func failure(_ response: APIResponse) -> CLIError {
        if let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
            let error = object["error"] as? [String: Any], let message = error["message"] as? String
        {
            let code = error["code"] as? String ?? "HTTP \(response.status)"
            var line = "\(message) (\(code))"
            if let wait = response.headers.first(name: "Retry-After") { line += "; try again in \(wait) s" }
            return CLIError.refused(line)
        }
        return CLIError.refused("the server answered HTTP \(response.status)")
    }

    private static func reason(_ error: any Error) -> String {
        let text = String(describing: error)
        if text.contains("connectTimeout") || text.contains("deadlineExceeded") { return "timed out" }
        if text.contains("connectionRefused") || text.contains("Connection refused") || text.contains("ECONNREFUSED") {
            return "connection refused"
        }
        if text.contains("connectTimeout") { return "connection timed out" }
        return text.count > 200 ? String(text.prefix(200)) + "…" : text
    }
}

/// A body sent in 256 KiB pieces, telling `progress` how far it has got.
struct Chunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let bytes: [UInt8]
    let progress: @Sendable (Int, Int) -> Void

    struct AsyncIterator: AsyncIteratorProtocol {
        let bytes: [UInt8]
        let progress: @Sendable (Int, Int) -> Void
        var offset = 0

        mutating func next() async -> ByteBuffer? {
            guard offset < bytes.count else { return nil }
            let end = Swift.min(bytes.count, offset + (256 << 10))
            let chunk = ByteBuffer(bytes: bytes[offset..<end])
            offset = end
            progress(offset, bytes.count)
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(bytes: bytes, progress: progress) }
}
