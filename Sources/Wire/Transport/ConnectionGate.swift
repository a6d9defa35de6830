import Synchronization

/// The connection a server channel's event loop hands requests to: set once the handshake has proved the
/// peer, cleared for good when the connection drains or ends (requests then go to the reader, which
/// answers them `unavailable` or not at all).
final class ConnectionGate: Sendable {
    private let state = Mutex<(connection: ServerConnection?, closed: Bool)>((nil, false))

    func open(_ connection: ServerConnection) {
        state.withLock { state in
            if !state.closed { state.connection = connection }
        }
    }

    func close() { state.withLock { $0 = (nil, true) } }

    var connection: ServerConnection? { state.withLock { $0.connection } }
}
