import CollabCore
import Synchronization

/// Encoded JSON of threat models, reused while the model's store revision stays the same.
///
/// A read of a large model spent most of its time building the `JSONValue` tree and encoding
/// it again, although models are read far more often than changed. The store numbers every
/// commit and records, per model, the commit that last touched it or anything inside it
/// (`ThreatModelStore.read(model:)`), so the bytes rendered at revision r are exactly what a
/// fresh rendering at revision r would give: a mutation of the model, a child, metadata or
/// diagram cells moves the revision and the next read renders anew. Nothing is invalidated by
/// hand, so no write path can forget to.
///
/// Bounded: at most `maximumEntries` models and `maximumBytes` of JSON; past either, the cache
/// starts over (cheap, and a working set that large is rare).
final class EntityJSONCache: Sendable {
    private struct Entry {
        let revision: UInt64
        let bytes: [UInt8]
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var bytes = 0
    }

    private let state = Mutex(State())
    let maximumEntries: Int
    let maximumBytes: Int

    init(maximumEntries: Int = 4096, maximumBytes: Int = 64 << 20) {
        self.maximumEntries = maximumEntries
        self.maximumBytes = maximumBytes
    }

    /// The bytes of `id` at `revision`, rendering (outside the lock) and keeping them on a miss.
    func bytes(of id: String, revision: UInt64, render: () -> JSONValue) -> [UInt8] {
        if let hit = state.withLock({ s -> [UInt8]? in
            guard let entry = s.entries[id], entry.revision == revision else { return nil }
            return entry.bytes
        }) {
            return hit
        }
        let bytes = render().serialized()
        state.withLock { s in
            // A slower reader of an older revision must not replace a newer entry.
            if let current = s.entries[id], current.revision > revision { return }
            if let old = s.entries[id] { s.bytes -= old.bytes.count }
            if s.entries.count >= maximumEntries || s.bytes + bytes.count > maximumBytes {
                s.entries.removeAll(keepingCapacity: true)
                s.bytes = 0
            }
            guard bytes.count <= maximumBytes else { return }
            s.entries[id] = Entry(revision: revision, bytes: bytes)
            s.bytes += bytes.count
        }
        return bytes
    }

    /// Models cached now (for tests).
    var count: Int { state.withLock { $0.entries.count } }
}
