import Synchronization

/// The server's live connections and whether each is between requests, so a graceful shutdown
/// can close the idle ones at once and let busy ones finish their request.
final class HTTPConnectionRegistry: Sendable {
    enum Phase { case busy, idle, upgraded }

    private struct State {
        var entries: [UInt64: (connection: TCPConnection, phase: Phase, address: String)] = [:]
        /// Open connections per client address, for `maxConnectionsPerIP`.
        var perAddress: [String: Int] = [:]
        var nextID: UInt64 = 0
        var shuttingDown = false
    }

    /// What `admit` decided for a new connection.
    enum Admission: Equatable {
        case admitted(UInt64)
        case tooManyConnections
        case tooManyFromAddress
        case shuttingDown
    }

    private let state = Mutex(State())

    /// Adds a new connection (busy) from client `address` unless a limit says no.
    func admit(
        _ connection: TCPConnection, address: String, maxConnections: Int, maxPerAddress: Int
    ) -> Admission {
        state.withLock { s in
            guard !s.shuttingDown else { return .shuttingDown }
            guard s.entries.count < maxConnections else { return .tooManyConnections }
            let fromAddress = s.perAddress[address, default: 0]
            guard fromAddress < maxPerAddress else { return .tooManyFromAddress }
            s.perAddress[address] = fromAddress + 1
            s.nextID += 1
            s.entries[s.nextID] = (connection, .busy, address)
            return .admitted(s.nextID)
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
