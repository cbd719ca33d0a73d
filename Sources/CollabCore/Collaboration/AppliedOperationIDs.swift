/// The `operation_id`s already applied, so a resent message is not applied twice (DESIGN §6).
///
/// Bounded FIFO: a client resends only what it has not seen acknowledged, which is recent, so a
/// few thousand ids cover any reconnect; the oldest are forgotten first. Each id keeps the revision
/// it produced and the cells it changed, which is all an acknowledgement needs to be rebuilt.
/// Only accepted operations are remembered: a rejected message changed nothing, so sending it
/// again (perhaps corrected) is evaluated afresh.
struct AppliedOperationIDs: Sendable {
    struct Applied: Sendable {
        var revision: Int64
        var userID: String
        var cells: [(id: String, kind: CellOperation.Kind)]
        var initiatingUser: UserClaim?
    }

    let capacity: Int
    var applied: [String: Applied] = [:]
    private var order: [String] = []
    private var head = 0

    init(capacity: Int) { self.capacity = max(1, capacity) }

    func lookup(_ id: String) -> Applied? { applied[id] }

    mutating func record(_ id: String, _ entry: Applied) {
        if applied[id] != nil { return }
        applied[id] = entry
        if order.count < capacity {
            order.append(id)
        } else {
            applied[order[head]] = nil
            order[head] = id
            head = (head + 1) % capacity
        }
    }
}
