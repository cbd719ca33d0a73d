/// What one HTTP server is doing, for `/metrics`: connections and WebSockets open now,
/// connections accepted so far, and bytes received and sent (WebSocket traffic included).
/// Updated with relaxed atomics from the connection tasks; no lock per request.
public final class HTTPServerMetrics: Sendable {
    private enum Cell: Int, CaseIterable {
        case open, accepted, upgradedOpen, upgraded, received, sent
    }

    private let cells = AtomicCounters(count: Cell.allCases.count)

    public init() {}

    public struct Snapshot: Sendable, Equatable {
        public var connectionsOpen: Int
        public var connectionsAccepted: UInt64
        /// Connections handed to an upgrade handler (WebSockets) and still open.
        public var upgradedOpen: Int
        public var upgradedTotal: UInt64
        public var bytesReceived: UInt64
        public var bytesSent: UInt64
    }

    public var snapshot: Snapshot {
        Snapshot(
            connectionsOpen: Int(truncatingIfNeeded: Int64(bitPattern: cells.load(Cell.open.rawValue))),
            connectionsAccepted: cells.load(Cell.accepted.rawValue),
            upgradedOpen: Int(truncatingIfNeeded: Int64(bitPattern: cells.load(Cell.upgradedOpen.rawValue))),
            upgradedTotal: cells.load(Cell.upgraded.rawValue),
            bytesReceived: cells.load(Cell.received.rawValue),
            bytesSent: cells.load(Cell.sent.rawValue))
    }

    func connectionOpened() {
        cells.add(Cell.open.rawValue)
        cells.add(Cell.accepted.rawValue)
    }

    func connectionClosed() { cells.subtract(Cell.open.rawValue) }

    func upgradeStarted() {
        cells.add(Cell.upgradedOpen.rawValue)
        cells.add(Cell.upgraded.rawValue)
    }

    func upgradeEnded() { cells.subtract(Cell.upgradedOpen.rawValue) }

    @inline(__always) func received(_ n: Int) { if n > 0 { cells.add(Cell.received.rawValue, UInt64(n)) } }

    @inline(__always) func sent(_ n: Int) { if n > 0 { cells.add(Cell.sent.rawValue, UInt64(n)) } }
}
