import CollabCore

/// Read-only observers: the operator console's live view of a diagram (docs/console.md).
///
/// An observer is not a participant: it is not listed, cannot send anything into the session, and
/// never becomes host or presenter, so watching a session does not change it. It receives what
/// every participant receives (each broadcast operation, presence and participant changes) plus
/// `participant_selection` for every participant's selection.
extension DiagramSession {
    /// Starts relaying to `outbox`: first `diagram_state_sync`, the presenter, the participant list
    /// and current selections, then every broadcast. Returns false when the session has ended or
    /// already has `maxObservers` observers (the outbox is then closed).
    @discardableResult
    public func observe(id: String, outbox: any ParticipantOutbox) -> Bool {
        guard !isEnded, observers[id] == nil, observers.count < configuration.maxObservers else {
            outbox.close(.joinRefused(isEnded ? .sessionEnded : .sessionFull))
            return false
        }
        observers[id] = outbox
        deliver(stateSync, to: [outbox])
        if let presenter { deliver(.currentPresenter(presenter), to: [outbox]) }
        deliver(participantsUpdate, to: [outbox])
        for m in consoleView.members where !m.selection.isEmpty {
            deliver(.participantSelection(m.user, cells: m.selection), to: [outbox], ordered: false)
        }
        return true
    }

    public func stopObserving(id: String) {
        observers[id] = nil
    }

    public var observerCount: Int { observers.count }

    /// The outboxes of every observer, in a stable order.
    var observerOutboxes: [any ParticipantOutbox] {
        observers.keys.sorted().compactMap { observers[$0] }
    }

    /// Remembers a participant's selection and shows it to observers. The presenter's selection is
    /// also relayed to the participants as before (`relayPresence`).
    func recordSelection(_ cells: [String], of p: Participant) {
        let id = p.identity.connectionID
        let cells = Array(cells.prefix(1000))  // bounded: a selection is kept per participant
        guard participants[id] != nil, participants[id]?.selection != cells else { return }
        participants[id]?.selection = cells
        deliver(.participantSelection(p.user, cells: cells), to: observerOutboxes, ordered: false)
    }
}
