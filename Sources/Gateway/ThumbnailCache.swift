import Contracts
import Synchronization
import Wire

/// Hot thumbnails kept in the gateway for a short while, with their image's owner and visibility, so that
/// a burst of GETs for the same thumbnail costs no Wire call. An entry lives `lifetime` (2 s, the same
/// staleness the gateway accepts for revocations); a delete or upload through this gateway forgets the
/// image at once. Bounded in bytes.
final class ThumbnailCache: Sendable {
    struct Entry: Sendable {
        var content: DerivativeContent
        var owner: String
        var visibility: Visibility
        var storedAt: ContinuousClock.Instant
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var bytes = 0
    }

    let capacity: Int
    let lifetime: Duration
    private let state = Mutex(State())

    init(capacity: Int = 32 << 20, lifetime: Duration = .seconds(2)) {
        (self.capacity, self.lifetime) = (capacity, lifetime)
    }

    /// The thumbnail of `imageId` if `caller` may see it and it is fresh; nil means ask StoreSvc.
    func lookup(_ imageId: String, caller: String) -> DerivativeContent? {
        let now = ContinuousClock.now
        return state.withLock { state in
            guard let entry = state.entries[imageId] else { return nil }
            guard now - entry.storedAt < lifetime else {
                state.bytes -= entry.content.bytes.count
                state.entries[imageId] = nil
                return nil
            }
            return entry.visibility.lets(caller, read: entry.owner) ? entry.content : nil
        }
    }

    /// Keeps a thumbnail that says whose it is; others (made by ProcessSvc just now) are not kept.
    func store(_ imageId: String, _ content: DerivativeContent) {
        guard let owner = content.imageOwner, let visibility = content.visibility,
            content.bytes.count <= capacity / 16
        else { return }
        let now = ContinuousClock.now
        state.withLock { state in
            if state.bytes + content.bytes.count > capacity {
                for (id, entry) in state.entries where now - entry.storedAt >= lifetime {
                    state.bytes -= entry.content.bytes.count
                    state.entries[id] = nil
                }
                guard state.bytes + content.bytes.count <= capacity else { return }
            }
            if let old = state.entries[imageId] { state.bytes -= old.content.bytes.count }
            state.entries[imageId] = Entry(
                content: content, owner: owner, visibility: visibility, storedAt: now)
            state.bytes += content.bytes.count
        }
    }

    func forget(_ imageId: String) {
        state.withLock { state in
            if let old = state.entries.removeValue(forKey: imageId) { state.bytes -= old.content.bytes.count }
        }
    }
}
