/// A participant flooding the session (operations, cursor updates, anything) is slowed, told, and
/// then cut off, without costing the others: a message over the limit is dropped before it is even
/// parsed, so a flood costs the actor one token-bucket check per message.
extension DiagramSession {
    /// Whether the next message of `p` may be processed. Past `messageRate` (after a burst of
    /// `messageBurst`) messages are dropped and the sender gets one `rate_limited` error; each drop
    /// drains a second bucket of `floodTolerance`, and when that is empty the sender is removed and
    /// its connection closed (1008). A client slightly over the limit now and then refills both and
    /// is never cut off.
    func admitMessage(from p: Participant) -> Bool {
        let id = p.identity.connectionID
        guard var participant = participants[id] else { return false }
        let now = clock.now()
        if participant.messageLimiter.allow(now: now) {
            participant.warnedMessageRate = false
            participants[id] = participant
            return true
        }
        let tolerated = participant.floodLimiter.allow(now: now)
        let warn = !participant.warnedMessageRate
        participant.warnedMessageRate = true
        participants[id] = participant
        if !tolerated {
            sendError(
                "rate_limited",
                "kept sending more than \(Int(configuration.messageRate)) messages per second; disconnected",
                code: "message_flood", to: p.outbox, ordered: false)
            leave(connectionID: id)
            p.outbox.close(.messageFlood)
        } else if warn {
            sendError(
                "rate_limited",
                "more than \(Int(configuration.messageRate)) messages per second: messages are being dropped;"
                    + " slow down or be disconnected",
                code: "message_rate_exceeded", to: p.outbox, ordered: false)
        }
        return false
    }
}
