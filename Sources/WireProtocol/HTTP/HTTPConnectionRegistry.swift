import Synchronization

/// The server's live connections and whether each is between requests, so a graceful shutdown
/// can close the idle ones at once and let busy ones finish their request.
final class HTTPConnectionRegistry: Sendable {
    enum Phase { case busy, idle, upgraded }

    private struct State {
        var entries: [UInt64: (connection: TCPConnection, phase: Phase)] = [:]
        var nextID: UInt64 = 0
        var shuttingDown = false
    }

    private let state = Mutex(State())

    /// Adds a new connection (busy); nil once shutdown has begun.
    func add(_ connection: TCPConnection) -> UInt64? {
        state.withLock { s in
            guard !s.shuttingDown else { return nil }
            s.nextID += 1
            s.entries[s.nextID] = (connection, .busy)
            return s.nextID
        }
    }

    func remove(_ id: UInt64) {
        _ = state.withLock { $0.entries.removeValue(forKey: id) }
    }

    /// Records the connection's phase. Returns false when it becomes idle after shutdown began:
    /// the connection must then end instead of waiting for another request.
    func set(_ id: UInt64, _ phase: Phase) -> Bool {
        state.withLock { s in
            if phase == .idle && s.shuttingDown { return false }
            s.entries[id]?.phase = phase
            return true
        }
    }

    var isShuttingDown: Bool { state.withLock { $0.shuttingDown } }

    var count: Int { state.withLock { $0.entries.count } }

    /// Starts shutdown; returns the connections to close now (idle and upgraded ones).
    func beginShutdown() -> [TCPConnection] {
        state.withLock { s in
            s.shuttingDown = true
            return s.entries.values.filter { $0.phase != .busy }.map(\.connection)
        }
    }
}
