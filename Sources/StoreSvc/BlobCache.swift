import Contracts
import Synchronization
import Wire

/// An in-memory LRU of blob bytes bounded by their total size (what memcache was to the AWS system Clearsky replaces). Entries larger than
/// a quarter of the capacity are not kept, so one huge upload cannot flush every thumbnail.
final class BlobCache: Sendable {
    private struct Entry {
        var key: String
        var bytes: [UInt8]
        var newer: Int?
        var older: Int?
    }

    private struct State {
        var slots: [Entry?] = []
        var free: [Int] = []
        var index: [String: Int] = [:]
        var newest: Int?
        var oldest: Int?
        var bytes = 0
        var hits = 0
        var misses = 0
        var evictions = 0

        mutating func unlink(_ slot: Int) {
            let entry = slots[slot]!
            if let newer = entry.newer { slots[newer]!.older = entry.older } else { newest = entry.older }
            if let older = entry.older { slots[older]!.newer = entry.newer } else { oldest = entry.newer }
        }

        mutating func pushNewest(_ slot: Int) {
            slots[slot]!.older = newest
            slots[slot]!.newer = nil
            if let newest { slots[newest]!.newer = slot }
            newest = slot
            if oldest == nil { oldest = slot }
        }

        mutating func remove(_ slot: Int) {
            unlink(slot)
            let entry = slots[slot]!
            bytes -= entry.bytes.count
            index[entry.key] = nil
            slots[slot] = nil
            free.append(slot)
        }
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) { self.capacity = max(0, capacity) }

    func get(_ key: String) -> [UInt8]? {
        state.withLock { state in
            guard let slot = state.index[key] else {
                state.misses += 1
                return nil
            }
            state.hits += 1
            state.unlink(slot)
            state.pushNewest(slot)
            return state.slots[slot]!.bytes
        }
    }

    func put(_ key: String, _ bytes: [UInt8]) {
        guard bytes.count <= capacity / 4 else { return }
        state.withLock { state in
            if let slot = state.index[key] { state.remove(slot) }
            while state.bytes + bytes.count > capacity, let oldest = state.oldest {
                state.remove(oldest)
                state.evictions += 1
            }
            let entry = Entry(key: key, bytes: bytes)
            let slot: Int
            if let reused = state.free.popLast() {
                slot = reused
                state.slots[slot] = entry
            } else {
                slot = state.slots.count
                state.slots.append(entry)
            }
            state.index[key] = slot
            state.bytes += bytes.count
            state.pushNewest(slot)
        }
    }

    func remove(_ key: String) {
        state.withLock { state in
            if let slot = state.index[key] { state.remove(slot) }
        }
    }

    var stats: CacheStats {
        state.withLock {
            CacheStats(
                hits: $0.hits, misses: $0.misses, evictions: $0.evictions, entries: $0.index.count, bytes: $0.bytes,
                capacity: capacity)
        }
    }
}
