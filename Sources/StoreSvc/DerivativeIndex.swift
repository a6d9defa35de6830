import Contracts
import Synchronization
import Wire

/// What a derivative read needs besides the bytes (its image's owner and visibility, the derivative's
/// row), kept in memory so that a cached thumbnail costs no database read. Every change to an image
/// forgets its entries, and a read that raced with a change does not put back what it read before it.
final class DerivativeIndex: Sendable {
    struct Entry: Sendable {
        var owner: String
        var visibility: Visibility
        var row: DerivativeRow
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var generation: UInt64 = 0
    }

    /// Entries kept at most; past it, reads go to the database.
    static let limit = 200_000
    private let state = Mutex(State())

    static func key(_ imageId: String, _ kind: DerivativeKind) -> String { "\(imageId)/\(kind.rawValue)" }

    func lookup(_ key: String) -> Entry? { state.withLock { $0.entries[key] } }

    /// The generation to hand back to `remember` after reading the database.
    var generation: UInt64 { state.withLock { $0.generation } }

    func remember(_ key: String, _ entry: Entry, readAt generation: UInt64) {
        state.withLock { state in
            guard state.generation == generation, state.entries.count < Self.limit else { return }
            state.entries[key] = entry
        }
    }

    /// Called after a change to these images commits.
    func forget(_ imageIds: some Sequence<String>) {
        state.withLock { state in
            state.generation &+= 1
            for id in imageIds {
                for kind in DerivativeKind.allCases { state.entries[Self.key(id, kind)] = nil }
            }
        }
    }
}
