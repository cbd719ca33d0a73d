import CollabCore

/// Presenter mode: request, grant by the host, cursor and selection relay.
extension DiagramSession {
    /// `presenter_request`: the host, or anyone when nobody is presenting, becomes presenter at once
    /// (everyone gets `current_presenter`); otherwise the requester gets `presenter_denied` and the
    /// host may hand over with `change_presenter`.
    func requestPresenter(_ p: Participant) {
        if presenter?.userID == p.user.userID {
            deliver(.currentPresenter(p.user), to: [p.outbox])
        } else if host?.userID == p.user.userID || !isConnected(presenter) {
            presenter = p.user
            deliver(.currentPresenter(p.user), to: everyone)
        } else if let presenter {
            deliver(.presenterDenied(currentPresenter: presenter), to: [p.outbox])
        }
    }

    /// `change_presenter`: host only; the new presenter must be in the session.
    func changePresenter(to claim: UserClaim, by p: Participant) {
        guard host?.userID == p.user.userID else {
            sendError(
                "unauthorized", "only the host may change the presenter", code: "not_host", to: p.outbox)
            return
        }
        guard
            let target = participants.values.sorted(by: { $0.sequence < $1.sequence }).first(where: {
                claim.matches($0.user)
            })
        else {
            sendError("participant_not_found", "the new presenter is not in this session", to: p.outbox)
            return
        }
        presenter = target.user
        deliver(.currentPresenter(target.user), to: everyone)
    }

    /// Cursor and selection are relayed from the presenter only, to everyone else, subject to a
    /// per-connection rate limit. Over the limit, messages are dropped and the presenter is told
    /// once (`rate_limited`) until it slows down. They carry no diagram state, so they are not held
    /// behind operations awaiting durability.
    func relayPresence(
        _ message: ServerMessage, from p: Participant, limiter: WritableKeyPath<Participant, RateLimiter>
    ) {
        let id = p.identity.connectionID
        guard var participant = participants[id] else { return }
        guard presenter?.userID == p.user.userID else {
            // Told once, not once per message: a client may keep sending until it notices.
            if !participant.warnedNotPresenter {
                participants[id]?.warnedNotPresenter = true
                sendError(
                    "not_presenter", "only the presenter may share cursor and selection", to: p.outbox,
                    ordered: false)
            }
            return
        }
        participant.warnedNotPresenter = false
        let allowed = participant[keyPath: limiter].allow(now: clock.now())
        let warn = !allowed && !participant.warnedRateLimit
        participant.warnedRateLimit = !allowed
        participants[id] = participant
        if allowed {
            deliver(message, to: everyone(except: id), ordered: false)
        } else if warn {
            sendError(
                "rate_limited",
                "presenter updates are limited to \(Int(configuration.cursorRate)) per second",
                code: "presence_rate_exceeded", to: p.outbox, ordered: false)
        }
    }
}
