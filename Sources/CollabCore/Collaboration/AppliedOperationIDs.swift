/// The `operation_id`s already applied, so a resent message is not applied twice (DESIGN §6).
///
/// Bounded FIFO: a client resends only what it has not seen acknowledged, which is recent, so a
/// few thousand ids cover any reconnect; the oldest are forgotten first.
struct AppliedOperationIDs: Sendable {
    let capacity: Int
    private var revisions: [String: (revision: Int64, userID: String)] = [:]
    private var order: [String] = []
    private var head = 0

    init(capacity: Int) { self.capacity = max(1, capacity) }

    func lookup(_ id: String) -> (revision: Int64, userID: String)? { revisions[id] }

    mutating func record(_ id: String, revision: Int64, userID: String) {
        if revisions[id] != nil { return }
        revisions[id] = (revision, userID)
        if order.count < capacity {
            order.append(id)
        } else {
            revisions[order[head]] = nil
            order[head] = id
            head = (head + 1) % capacity
        }
    }
}
