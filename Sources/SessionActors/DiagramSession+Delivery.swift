import CollabCore

/// Messages waiting for the operations before them to become durable.
///
/// Every message that reflects diagram state (broadcasts, acknowledgements, rejections, state
/// syncs, participant changes) is tagged with the revision current when it was produced and
/// goes out only once that revision is durable, in production order. So a client never sees an
/// acknowledgement for an operation that a crash could lose (DESIGN §6), and never sees messages
/// out of revision order, even though persistence completes asynchronously. Recipients are fixed
/// when a message is produced: someone who joins later gets a state sync that already includes it.
struct DeliveryQueue: Sendable {
    struct Pending: Sendable {
        var after: Int64
        var recipients: [any ParticipantOutbox]
        var message: SharedMessage
    }

    private(set) var durableRevision: Int64
    var completed: Set<Int64> = []
    var pending: [Pending] = []
    var head = 0

    init(durableRevision: Int64) { self.durableRevision = durableRevision }

    var isIdle: Bool { head == pending.count }

    mutating func enqueue(_ p: Pending) { pending.append(p) }

    /// Records that `revision` is durable; returns the messages now deliverable, in order.
    mutating func markDurable(_ revision: Int64) -> [Pending] {
        if revision > durableRevision { completed.insert(revision) }
        while completed.remove(durableRevision + 1) != nil { durableRevision += 1 }
        var ready: [Pending] = []
        while head < pending.count, pending[head].after <= durableRevision {
            ready.append(pending[head])
            head += 1
        }
        if head > 64 && head * 2 > pending.count {
            pending.removeFirst(head)
            head = 0
        }
        return ready
    }

    mutating func removeAll() {
        pending.removeAll()
        head = 0
    }
}

extension DiagramSession {
    /// Sends `message`, encoded once, to `recipients`. Unordered messages (cursor and selection
    /// relay, which carry no diagram state) go out at once; the rest keep their order behind any
    /// operation still being made durable.
    func deliver(_ message: ServerMessage, to recipients: [any ParticipantOutbox], ordered: Bool = true) {
        switch message {
        case .diagramOperation, .participantsUpdate, .currentPresenter: changes?.notify()
        default: break
        }
        guard !recipients.isEmpty else { return }
        let shared = SharedMessage(message)
        if !ordered || (delivery.isIdle && delivery.durableRevision >= engine.revision) {
            recipients.send(shared)
            return
        }
        delivery.enqueue(
            DeliveryQueue.Pending(after: engine.revision, recipients: recipients, message: shared))
    }

    func markDurable(_ revision: Int64) {
        for p in delivery.markDurable(revision) {
            p.recipients.send(p.message)
        }
    }

    /// Broadcasts an accepted operation to everyone (the sender's copy is its acknowledgement),
    /// after it is durable. Extra messages for the sender follow it. Returns nil once stored, or
    /// why it was not (it was then taken back and its sender told: `DiagramSession+Storage`).
    @discardableResult
    func publish(
        _ accepted: AcceptedOperation, thenToSender extra: [ServerMessage] = [],
        sender: (any ParticipantOutbox)?
    )
        async -> OperationNotStored?
    {
        operationRate.record(at: clock.now())
        deliver(.diagramOperation(accepted.message), to: everyone)
        if let sender { for m in extra { deliver(m, to: [sender]) } }
        operationsSinceSnapshot += 1
        if operationsSinceSnapshot >= configuration.snapshotEvery {
            operationsSinceSnapshot = 0
            persistence.snapshotAvailable(
                DiagramSnapshot(threatModelID: threatModelID, diagramID: diagramID, state: engine.state))
        }
        let record = OperationRecord(
            threatModelID: threatModelID, diagramID: diagramID, revision: accepted.revision,
            message: accepted.message)
        let epoch = storageEpoch
        do {
            try await persistence.append(record)
        } catch let failure as OperationNotStored {
            // A later epoch means a rollback already took this operation back.
            if epoch == storageEpoch { takeBack(after: failure) }
            return failure
        } catch let lost as SessionOwnershipLost {
            end(.ownershipLost)
            return OperationNotStored(
                durableRevision: delivery.durableRevision, diskFull: false, reason: lost.description)
        } catch {
            end(.persistenceFailed)
            return OperationNotStored(
                durableRevision: delivery.durableRevision, diskFull: false, reason: "\(error)")
        }
        if !isEnded { markDurable(accepted.revision) }
        return nil
    }
}
