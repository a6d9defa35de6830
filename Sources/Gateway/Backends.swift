import Contracts
import Wire

/// One Wire client per backend service, shared by every request.
struct Backends: Sendable {
    let clients: [ServiceName: WireClient]
    /// Signs the content and thumbnail URLs that Image JSON carries.
    let signer: URLSigner

    /// Clients of `peers`, each service at one or more replicas' addresses.
    init(replicas peers: [ServiceName: [WireEndpoint]], credentials: WireCredentials) {
        ContractRegistry.register()
        signer = URLSigner(secret: credentials.secret)
        var clients: [ServiceName: WireClient] = [:]
        for (service, endpoints) in peers where service != .gateway && !endpoints.isEmpty {
            clients[service] = WireClient(endpoints: endpoints, service: service.rawValue, credentials: credentials)
        }
        self.clients = clients
    }

    /// Clients of services that run once each.
    init(peers: [ServiceName: WireEndpoint], credentials: WireCredentials) {
        self.init(replicas: peers.mapValues { [$0] }, credentials: credentials)
    }

    func client(_ service: ServiceName) throws -> WireClient {
        guard let client = clients[service] else {
            throw WireError(.unavailable, "No address configured for \(service.rawValue)")
        }
        return client
    }
}
