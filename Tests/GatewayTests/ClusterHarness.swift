import Contracts
import Detection
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Mail
import NetworkAddresses
import PostgresSupport
import ServiceLifecycle
import ServiceRuntime
import Synchronization
import TagIndex
import TestImages
import TestServers
import Testing
import Wire
import WireTesting

@testable import AuthSvc
@testable import Gateway
@testable import ProcessSvc
@testable import StoreSvc
@testable import TagSvc

/// The gateway in front of real AuthSvc, StoreSvc, ProcessSvc and TagSvc servers (port 0, temporary
/// folders), with ProcessSvc's job workers and thumbnail consumer (`workers`) and TagSvc's detection and
/// notifications (`tagging`) running when asked.
struct ClusterHarness: Sendable {
    let client: any TestClientProtocol
    let outbox: Outbox
    let tags: TagService

    /// Every service's state on `backend`: SQLite files in temporary folders, or schemas of their own on
    /// the test PostgreSQL.
    static func run(
        _ backend: StoreBackend = .sqlite, workers: Bool = true, tagging: Bool = false,
        uploadLimit: Int = GatewayApp.defaultUploadLimit,
        publicURL: String? = nil, adjustGateway: @escaping @Sendable (inout GatewaySettings) -> Void = { _ in },
        adjustStore: @escaping @Sendable (inout WireRouter) -> Void = { _ in },
        _ body: @escaping @Sendable (ClusterHarness) async throws -> Void
    ) async throws {
        let opened = OpenedSchemas()
        func closeAll() async { for schema in opened.all.withLock({ $0 }) { await schema.close() } }
        let url = backend == .postgres ? try DatabaseURL(try PostgresTestServer.url()) : nil
        do {
            try await start(
                url: url, opened: opened, workers: workers, tagging: tagging, uploadLimit: uploadLimit,
                publicURL: publicURL, adjustGateway: adjustGateway, adjustStore: adjustStore, body)
            await closeAll()
        } catch {
            await closeAll()
            throw error
        }
    }

    private static func start(
        url: DatabaseURL?, opened: OpenedSchemas, workers: Bool, tagging: Bool, uploadLimit: Int,
        publicURL: String?, adjustGateway: @escaping @Sendable (inout GatewaySettings) -> Void,
        adjustStore: @escaping @Sendable (inout WireRouter) -> Void,
        _ body: @escaping @Sendable (ClusterHarness) async throws -> Void
    ) async throws {
        let logger = Logger(label: "test")
        func schema(_ name: String) -> String { PostgresTestServer.schema(name) }
        try await withServiceHost(.auth) { authHost in
            var authSettings = AuthSettings()
            authSettings.passwordIterations = 1_000
            let outbox = try Outbox(folder: authHost.configuration.dataDirectory + "/mail/outbox")
            let users: any UserStore
            if let url {
                let postgres = try await PostgresUserStore.open(url, schema: schema("auth"), logger: logger)
                opened.all.withLock { $0.append(postgres.database) }
                users = postgres
            } else {
                users = try SQLiteUserStore(path: authHost.configuration.stateDirectory + ".sqlite")
            }
            let auth = AuthService(store: users, settings: authSettings, mail: outbox, logger: authHost.logger)
            try await withServiceHost(.store) { storeHost in
                let folder = storeHost.configuration.stateDirectory
                var images: (any ImageStore)?
                if let url {
                    let postgres = try await PostgresImageStore.open(url, schema: schema("store"), logger: logger)
                    opened.all.withLock { $0.append(postgres.database) }
                    images = postgres
                }
                let store = try await StoreService.open(
                    folder: folder, store: images, settings: StoreSettings(), logger: storeHost.logger)
                try await withServiceHost(.process) { processHost in
                    var storeRouter = StoreRouter.make(host: storeHost, service: store)
                    adjustStore(&storeRouter)
                    let servers = [
                        (ServiceName.auth.rawValue, AuthRouter.make(host: authHost, service: auth)),
                        (ServiceName.store.rawValue, storeRouter),
                    ]
                    try await withWireServers(servers.map { (service: $0.0, router: $0.1) }) { endpoints in
                        var peers: [ServiceName: WireEndpoint] = [:]
                        for service in ServiceName.backends {
                            peers[service] = endpoints[service.rawValue] ?? WireEndpoint(host: "127.0.0.1", port: 1)
                        }
                        let storeClient = WireClient(
                            endpoint: peers[.store]!, service: ServiceName.store.rawValue, secret: WireHarness.secret)
                        let jobs: any JobStore
                        if let url {
                            let postgres = try await PostgresJobStore.open(
                                url, schema: schema("process"), logger: logger)
                            opened.all.withLock { $0.append(postgres.database) }
                            jobs = postgres
                        } else {
                            jobs = try SQLiteJobStore(folder: processHost.configuration.stateDirectory)
                        }
                        let process = ProcessService(
                            store: { storeClient }, jobs: jobs, settings: ProcessSettings(), logger: processHost.logger)
                        try await withWireServer(
                            service: ServiceName.process.rawValue,
                            router: ProcessRouter.make(host: processHost, service: process)
                        ) { processServer in
                            peers[.process] = processServer.endpoint
                            let tagFolder = processHost.configuration.dataDirectory + "/tag"
                            try FileManager.default.createDirectory(
                                atPath: tagFolder, withIntermediateDirectories: true)
                            var tagSettings = TagSettings()
                            tagSettings.retryDelayMillis = 50
                            tagSettings.outbound.allowed = [AddressRange("127.0.0.0/8")!]
                            let tagDatabase: any TagDatabase
                            if let url {
                                let postgres = try await PostgresTagDatabase.open(
                                    url, schema: schema("tag"), logger: logger)
                                opened.all.withLock { $0.append(postgres.database) }
                                tagDatabase = postgres
                            } else {
                                tagDatabase = try SQLiteTagDatabase(folder: tagFolder)
                            }
                            let tags = TagService(
                                store: { storeClient }, detector: try await TestModel.detector(), tags: tagDatabase,
                                settings: tagSettings, mail: outbox, logger: processHost.logger)
                            try await withWireServer(
                                service: ServiceName.tag.rawValue,
                                router: TagRouter.make(host: processHost, service: tags)
                            ) { tagServer in
                                peers[.tag] = tagServer.endpoint
                                let backends = Backends(peers: peers, credentials: .plain(WireHarness.secret))
                                let verifier = TokenVerifier(revocationMaxAge: .zero) { try backends.client(.auth) }
                                var settings = GatewaySettings()
                                (settings.uploadLimit, settings.publicURL) = (uploadLimit, publicURL)
                                adjustGateway(&settings)
                                let app = Application(
                                    router: GatewayApp.router(
                                        backends: backends, registry: .init(), verifier: verifier, settings: settings)
                                )
                                let background: [any Service] =
                                    (workers
                                        ? [JobWorkers(service: process), ThumbnailConsumer(service: process)] : [])
                                    + (tagging
                                        ? [
                                            DetectionConsumer(service: tags, wait: .milliseconds(500)),
                                            Notifier(service: tags),
                                        ]
                                        : [])
                                try await withThrowingTaskGroup(of: Void.self) { group in
                                    for service in background { group.addTask { try await service.run() } }
                                    defer { group.cancelAll() }
                                    try await app.test(.router) { client in
                                        try await body(ClusterHarness(client: client, outbox: outbox, tags: tags))
                                    }
                                }
                                await storeClient.close()
                            }
                        }
                    }
                }
            }
        }
    }

    /// Signs a new user up, confirms and logs in; the access token.
    func user(_ name: String) async throws -> String {
        let email = "\(name)@example.com"
        let password = "Corr3ct-horse"
        let signUp = try await json(.post, "/v1/auth/signup", ["username": name, "email": email, "password": password])
        try #require(signUp.status == .created, "sign-up: \(String(buffer: signUp.body))")
        let text = try #require(try outbox.messages().last { $0.text.contains("To: \(email)") }?.text)
        let code = String(try #require(text.firstMatch(of: /code (\d{6})/)).1)
        _ = try await json(.post, "/v1/auth/confirm", ["username": name, "code": code])
        let login = try await json(.post, "/v1/auth/login", ["username": name, "password": password])
        return try #require(try object(login)["accessToken"] as? String, "\(String(buffer: login.body))")
    }

    func json(_ method: HTTPRequest.Method, _ path: String, _ body: [String: Any], token: String? = nil) async throws
        -> TestResponse
    {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await client.execute(
            uri: path, method: method, headers: headers,
            body: ByteBuffer(data: try JSONSerialization.data(withJSONObject: body)))
    }

    func request(
        _ method: HTTPRequest.Method, _ path: String, token: String?, headers extra: HTTPFields = [:],
        body: [UInt8]? = nil
    ) async throws -> TestResponse {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await client.execute(
            uri: path, method: method, headers: headers, body: body.map { ByteBuffer(bytes: $0) })
    }

    /// A multipart/form-data upload: `file` plus text fields.
    func upload(
        _ path: String, file: [UInt8], filename: String = "photo.jpg", fields: [String: String] = [:], token: String?
    ) async throws -> TestResponse {
        let boundary = "clearsky-\(UUID().uuidString)"
        var body: [UInt8] = []
        for (name, value) in fields.sorted(by: { $0.key < $1.key }) {
            body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
        }
        body += Array(
            "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(filename)\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                .utf8)
        body += file + Array("\r\n--\(boundary)--\r\n".utf8)
        return try await request(
            .post, path, token: token, headers: [.contentType: "multipart/form-data; boundary=\(boundary)"], body: body)
    }

    func object(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
    }

    func errorCode(_ response: TestResponse) -> String? {
        ((try? object(response))?["error"] as? [String: Any])?["code"] as? String
    }

    func bytes(_ response: TestResponse) -> [UInt8] { Array(buffer: response.body) }

}

/// The PostgreSQL clients a harness opened, closed when it ends.
final class OpenedSchemas: Sendable {
    let all = Mutex<[PostgresSchema]>([])
}
