import Synchronization

/// The server's live connections and whether each is between requests, so a graceful shutdown
/// can close the idle ones at once and let busy ones finish their request.
///
/// Admission and removal (once per connection, from the accept loop and the connection's own
/// loop) take the lock; the per-request phase changes do not: each connection holds its
/// `HTTPConnectionEntry` and flips an atomic in it.
final class HTTPConnectionRegistry: Sendable {
    private struct State {
        var entries: [UInt64: HTTPConnectionEntry] = [:]
        /// Open connections per client address, for `maxConnectionsPerIP`.
        var perAddress: [String: Int] = [:]
        var nextID: UInt64 = 0
    }

    /// What `admit` decided for a new connection.
    enum Admission {
        case admitted(HTTPConnectionEntry)
        case tooManyConnections
        case tooManyFromAddress
        case shuttingDown
    }

    private let state = Mutex(State())
    private let shuttingDown = Atomic<Bool>(false)

    /// Adds a new connection (busy) from client `address` unless a limit says no. The limits are
    /// the server's, counted over every I/O loop.
    func admit(
        _ connection: TCPConnection, address: String, maxConnections: Int, maxPerAddress: Int
    ) -> Admission {
        state.withLock { s in
            guard !isShuttingDown else { return .shuttingDown }
            guard s.entries.count < maxConnections else { return .tooManyConnections }
            let fromAddress = s.perAddress[address, default: 0]
            guard fromAddress < maxPerAddress else { return .tooManyFromAddress }
            s.perAddress[address] = fromAddress + 1
            s.nextID += 1
            let entry = HTTPConnectionEntry(id: s.nextID, connection: connection, address: address)
            s.entries[s.nextID] = entry
            return .admitted(entry)
        }
    }

    func remove(_ id: UInt64) {
        state.withLock { s in
            guard let gone = s.entries.removeValue(forKey: id) else { return }
            let left = s.perAddress[gone.address, default: 1] - 1
            s.perAddress[gone.address] = left > 0 ? left : nil
        }
    }

    /// Records the connection's phase. Returns false when it becomes idle after shutdown began:
    /// the connection must then end instead of waiting for another request.
    ///
    /// The phase is stored before the shutdown flag is read, and `beginShutdown` sets the flag
    /// before it reads phases (both sequentially consistent), so a connection going idle as
    /// shutdown starts is seen by at least one of the two and never waits out its idle timeout.
    @inline(__always)
    func set(_ entry: HTTPConnectionEntry, _ phase: HTTPConnectionEntry.Phase) -> Bool {
        entry.phase.store(phase.rawValue, ordering: .sequentiallyConsistent)
        return !(phase == .idle && isShuttingDown)
    }

    var isShuttingDown: Bool { shuttingDown.load(ordering: .sequentiallyConsistent) }

    var count: Int { state.withLock { $0.entries.count } }

    /// Starts shutdown; returns the connections to close now (idle and upgraded ones).
    func beginShutdown() -> [TCPConnection] {
        shuttingDown.store(true, ordering: .sequentiallyConsistent)
        return state.withLock { s in
            s.entries.values.filter {
                $0.phase.load(ordering: .sequentiallyConsistent) != HTTPConnectionEntry.Phase.busy.rawValue
            }.map(\.connection)
        }
    }
}

/// One admitted connection, shared by the registry and the connection's handler.
final class HTTPConnectionEntry: Sendable {
    enum Phase: UInt8 { case busy, idle, upgraded }

    let id: UInt64
    let connection: TCPConnection
    let address: String
    let phase = Atomic<UInt8>(Phase.busy.rawValue)

    init(id: UInt64, connection: TCPConnection, address: String) {
        self.id = id
        self.connection = connection
        self.address = address
    }
}
