import Contracts
import Wire

/// One Wire client per backend service, shared by every request.
struct Backends: Sendable {
    let clients: [ServiceName: WireClient]
    /// Signs the content and thumbnail URLs that Image JSON carries.
    let signer: URLSigner

    init(peers: [ServiceName: WireEndpoint], credentials: WireCredentials) {
        ContractRegistry.register()
        signer = URLSigner(secret: credentials.secret)
        var clients: [ServiceName: WireClient] = [:]
        for (service, endpoint) in peers where service != .gateway {
            clients[service] = WireClient(endpoint: endpoint, service: service.rawValue, credentials: credentials)
        }
        self.clients = clients
    }

    func client(_ service: ServiceName) throws -> WireClient {
        guard let client = clients[service] else {
            throw WireError(.unavailable, "No address configured for \(service.rawValue)")
        }
        return client
    }
}
