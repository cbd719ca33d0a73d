/// What one accepted message did to one cell: the pre-image (`before`), the server's result
/// (`after`), and what the sender believed the cell became (`intended`: its own optimistic view).
///
/// `intended` is what lets the engine rebuild "the cell as the client saw it" for a client that
/// sends a second operation before the first is acknowledged (see `OperationLog.cellAsSeen`).
public struct CellChange: Sendable, Equatable {
    public var id: String
    public var before: JSONValue?
    public var after: JSONValue?
    /// The sender's own view after its operation; `nil` with `bySender == false` for a change the
    /// server made on its own (an edge removed because its node was removed).
    public var intended: JSONValue?
    public var bySender: Bool
}

/// One accepted message in the log: the revision it produced and its cell changes.
public struct LogEntry: Sendable, Equatable {
    public var revision: Int64
    public var operationID: String
    public var userID: String
    /// Which connection sent it (see `DiagramEngine.submit(_:user:origin:)`).
    public var origin: String
    public var changes: [CellChange]
    /// The message as broadcast, kept so a reconnecting client whose `base_vector` the log still
    /// covers can be sent the operations it missed instead of the whole diagram.
    public var broadcast: DiagramOperationMessage
}

/// The bounded log of recent accepted messages, with pre-images (DESIGN §6).
///
/// It covers bases from `floor` to the current revision: a client whose `base_vector` is older than
/// `floor` can no longer have its view rebuilt and must take a full `diagram_state_sync`.
/// Entries are kept in a ring of fixed capacity so memory stays bounded however long a session runs.
public struct OperationLog: Sendable {
    public private(set) var capacity: Int
    var ring: [LogEntry]
    var head: Int  // index of the oldest entry once the ring is full
    /// The oldest base revision the log can rebuild from.
    public private(set) var floor: Int64

    public init(capacity: Int, startingAt revision: Int64) {
        self.capacity = max(1, capacity)
        ring = []
        head = 0
        floor = revision
    }

    public var count: Int { ring.count }

    /// Raises the capacity (never lowers it): the entries kept so far stay, and the window grows
    /// as new ones arrive. A session widens its log as people join (`SessionConfiguration`), so
    /// the history a `base_vector` may reach back covers about as many seconds with 500 editors
    /// as with 5.
    public mutating func grow(to newCapacity: Int) {
        guard newCapacity > capacity else { return }
        if head != 0 {
            ring = Array(ring[head...] + ring[..<head])
            head = 0
        }
        ring.reserveCapacity(newCapacity)
        capacity = newCapacity
    }

    /// Appends the entry for the next revision, dropping the oldest when full.
    public mutating func append(_ entry: LogEntry) {
        if ring.count < capacity {
            ring.append(entry)
        } else {
            floor = ring[head].revision
            ring[head] = entry
            head = (head + 1) % capacity
        }
    }

    /// Whether a client that has applied everything up to `base` can have its view rebuilt.
    public func covers(base: Int64, current: Int64) -> Bool { base >= floor && base <= current }

    /// Entries with a revision greater than `base`, oldest first.
    public func entries(after base: Int64) -> [LogEntry] {
        var out: [LogEntry] = []
        forEach(after: base) { out.append($0) }
        return out
    }

    /// Calls `body` for each entry newer than `base`, oldest first, without copying the entries.
    func forEach(after base: Int64, _ body: (LogEntry) -> Void) {
        let n = ring.count
        guard n > 0 else { return }
        // Revisions are consecutive, so the first wanted entry is found by arithmetic.
        let oldest = ring[head % n].revision
        let skip = Int(max(0, min(Int64(n), base + 1 - oldest)))
        for i in skip..<n { body(ring[(head + i) % n]) }
    }

    /// The broadcasts after `base`, oldest first, or `nil` when the log no longer covers `base`
    /// (the client then needs a full `diagram_state_sync`).
    public func broadcasts(after base: Int64, current: Int64) -> [DiagramOperationMessage]? {
        guard covers(base: base, current: current) else { return nil }
        var out: [DiagramOperationMessage] = []
        forEach(after: base) { out.append($0.broadcast) }
        return out
    }

    public func entry(revision: Int64) -> LogEntry? {
        let n = ring.count
        guard n > 0 else { return nil }
        let oldest = ring[head % n].revision
        let offset = revision - oldest
        guard offset >= 0, offset < Int64(n) else { return nil }
        return ring[(head + Int(offset)) % n]
    }

    /// The cell as a client saw it when it sent an operation based on `base` from `origin`:
    /// the cell at revision `base`, with that client's own later changes laid over it (it had
    /// applied those optimistically), and nobody else's. Returns `(found: false, _)` when no entry
    /// after `base` touched the cell, meaning the current cell is what the client saw.
    func cellAsSeen(_ id: String, base: Int64, origin: String) -> (found: Bool, cell: JSONValue?) {
        var found = false
        var cell: JSONValue? = nil
        forEach(after: base) { entry in
            for change in entry.changes where change.id == id {
                if !found {
                    found = true
                    cell = change.before
                }
                if change.bySender && entry.origin == origin { cell = change.intended }
            }
        }
        return (found, cell)
    }

    /// Whether some entry newer than `base` removed the cell (for "remove beats update").
    func wasRemoved(_ id: String, after base: Int64) -> Bool {
        var removed = false
        forEach(after: base) { entry in
            for change in entry.changes where change.id == id && change.before != nil && change.after == nil {
                removed = true
            }
        }
        return removed
    }
}
