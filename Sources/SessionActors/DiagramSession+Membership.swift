import CollabCore

/// Joining, leaving, removal by the host, host hand-off, and ending the session.
extension DiagramSession {
    /// Adds a connection. The newcomer gets `diagram_state_sync` first (catalogue: before any other
    /// initial message), then `current_presenter` and `participants_update`; the others get
    /// `participant_joined` (for a user's first connection) and `participants_update`.
    /// Joining an empty session makes the joiner host (and presenter): "the first user is host".
    ///
    /// `resumeFrom` is the `update_vector` a reconnecting client last applied: when the log still
    /// covers it, the client is sent the operations it missed, in order, instead of the whole
    /// diagram (DESIGN §6: reconnect resumes without a full reload); otherwise it gets the sync.
    public func join(_ identity: ParticipantIdentity, outbox: any ParticipantOutbox, resumeFrom: Int64? = nil)
        -> JoinResult
    {
        let refusal: JoinRefusal? =
            if isEnded { .sessionEnded } else if denied.contains(identity.user.userID) {
                .removedByHost
            } else if participants[identity.connectionID] != nil {
                .duplicateConnection
            } else if participants.count >= configuration.maxParticipants {
                .sessionFull
            } else if connections(of: identity.user.userID).count >= configuration.maxConnectionsPerUser {
                .tooManyConnections
            } else { nil }
        if let refusal {
            let text: String =
                switch refusal {
                case .sessionFull: "the session already has \(configuration.maxParticipants) connections"
                case .removedByHost: "the host removed you from this session"
                case .sessionEnded: "the session has ended"
                case .duplicateConnection: "this connection has already joined"
                case .tooManyConnections:
                    "you already have \(configuration.maxConnectionsPerUser) connections to this session"
                }
            outbox.send(
                SharedMessage(
                    .error(
                        error: refusal.rawValue, message: text, code: refusal.rawValue, timestamp: timestamp()
                    )))
            outbox.close(.joinRefused(refusal))
            return .refused(refusal)
        }
        let now = clock.now()
        let firstConnectionOfUser = connections(of: identity.user.userID).isEmpty
        if participants.isEmpty {
            host = identity.user
            presenter = identity.user
        } else if host?.userID == identity.user.userID {
            host = identity.user  // refresh display name and email from the newest token
        }
        participants[identity.connectionID] = Participant(
            identity: identity, outbox: outbox, sequence: nextSequence, joinedAt: now, lastActivity: now,
            cursorLimiter: RateLimiter(rate: configuration.cursorRate, burst: configuration.cursorBurst),
            selectionLimiter: RateLimiter(
                rate: configuration.selectionRate, burst: configuration.selectionBurst),
            messageLimiter: RateLimiter(rate: configuration.messageRate, burst: configuration.messageBurst),
            floodLimiter: RateLimiter(
                rate: configuration.messageRate / 10, burst: configuration.floodTolerance))
        nextSequence += 1
        lastActivity = now
        emptySince = nil
        let wanted = min(
            participants.count * configuration.logEntriesPerParticipant, configuration.maxLogCapacity)
        if wanted > engine.log.capacity { engine.growLog(to: wanted) }

        if let resumeFrom, let missed = engine.log.broadcasts(after: resumeFrom, current: engine.revision) {
            for m in missed { deliver(.diagramOperation(m), to: [outbox]) }
        } else {
            deliver(stateSync, to: [outbox])
        }
        if let presenter { deliver(.currentPresenter(presenter), to: [outbox]) }
        if firstConnectionOfUser {
            deliver(
                .participantJoined(identity.user, timestamp: timestamp(now)),
                to: everyone(except: identity.connectionID))
        }
        deliver(
            participantsUpdate,
            to: participants.count <= configuration.rosterBroadcastLimit ? everyone : [outbox])
        return .joined
    }

    /// Removes a connection (socket closed, or the gateway's `DELETE .../collaborate` by a non-host).
    /// Calling it for an unknown connection does nothing, so the gateway may call it after the
    /// session closed the connection itself.
    public func leave(connectionID: String) {
        guard let gone = participants.removeValue(forKey: connectionID) else { return }
        let now = clock.now()
        lastActivity = now
        if participants.isEmpty { emptySince = now }
        let small = participants.count < configuration.rosterBroadcastLimit
        guard connections(of: gone.user.userID).isEmpty else {
            if small { deliver(participantsUpdate, to: everyone) }
            return
        }
        deliver(.participantLeft(gone.user, timestamp: timestamp(now)), to: everyone)
        let previousHost = host?.userID
        let presenterChanged = handOffRoles(from: gone.user)
        if small || host?.userID != previousHost { deliver(participantsUpdate, to: everyone) }
        if presenterChanged, let presenter { deliver(.currentPresenter(presenter), to: everyone) }
    }

    /// Removes every connection of `userID` and closes them (`DELETE .../collaborate` by a
    /// participant who is not the host: they leave, the session goes on, DESIGN §10).
    public func leave(userID: String) {
        for id in participants.keys.sorted() where participants[id]?.user.userID == userID {
            let outbox = participants[id]?.outbox
            leave(connectionID: id)
            outbox?.close(.left)
        }
    }

    /// When the host's last connection leaves, the host role passes to the longest-connected writer,
    /// or the longest-connected reader if no writer is left (DESIGN §6: a host leaving must not end
    /// everyone's work). A presenter who leaves is replaced by the host. Returns whether the
    /// presenter changed to someone.
    func handOffRoles(from user: CollabUser) -> Bool {
        let remaining = participants.values.sorted { $0.sequence < $1.sequence }
        if host?.userID == user.userID, let first = remaining.first {
            host = (remaining.first { $0.identity.role == .writer } ?? first).user
        }
        guard presenter?.userID == user.userID else { return false }
        presenter = isConnected(host) ? host : nil
        return presenter != nil
    }

    /// Ends the session for everyone: each participant gets an `error` saying why and is closed.
    /// Operations not yet durable are not acknowledged. The final state is handed to persistence.
    public func end(_ reason: SessionEndReason) {
        guard !isEnded else { return }
        markEnded()
        delivery.removeAll()
        let goodbye = SharedMessage(
            .error(
                error: "session_ended", message: reason.message, code: reason.rawValue, timestamp: timestamp()
            ))
        for p in participants.values.sorted(by: { $0.sequence < $1.sequence }) {
            p.outbox.send(goodbye)
            p.outbox.close(.sessionEnded(reason))
        }
        participants.removeAll()
        for o in observerOutboxes {
            o.send(goodbye)
            o.close(.sessionEnded(reason))
        }
        observers.removeAll()
        emptySince = clock.now()
        changes?.notify()
        if reason != .persistenceFailed && reason != .ownershipLost {
            persistence.snapshotAvailable(
                DiagramSnapshot(threatModelID: threatModelID, diagramID: diagramID, state: engine.state))
        }
    }

    /// `remove_participant`: host only. Every connection of the named user is told and closed, the
    /// user goes on the session's deny list, and the others get `participant_left` and
    /// `participants_update`.
    func removeParticipant(_ claim: UserClaim, by p: Participant) {
        guard host?.userID == p.user.userID else {
            sendError("unauthorized", "only the host may remove participants", code: "not_host", to: p.outbox)
            return
        }
        let targets = participants.values.filter { claim.matches($0.user) }.sorted {
            $0.sequence < $1.sequence
        }
        guard let target = targets.first else {
            sendError("participant_not_found", "no such participant in this session", to: p.outbox)
            return
        }
        guard target.user.userID != p.user.userID else {
            sendError("invalid_participant", "the host cannot remove themselves", to: p.outbox)
            return
        }
        denied.insert(target.user.userID)
        for t in targets {
            participants[t.identity.connectionID] = nil
            // Sent at once, not queued: the connection closes right after.
            t.outbox.send(
                SharedMessage(
                    .error(
                        error: "removed", message: "the host removed you from this session",
                        code: "removed_by_host", timestamp: timestamp())))
            t.outbox.close(.removedByHost)
        }
        deliver(.participantLeft(target.user, timestamp: timestamp()), to: everyone)
        let presenterChanged = handOffRoles(from: target.user)
        deliver(participantsUpdate, to: everyone)
        if presenterChanged, let presenter { deliver(.currentPresenter(presenter), to: everyone) }
    }
}
