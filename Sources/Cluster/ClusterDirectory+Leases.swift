import WireProtocol

/// Who owns a diagram's live session.
public struct DiagramOwner: Sendable, Equatable {
    public var diagramID: String
    public var nodeID: String
    /// Where to relay to; nil when the owner's registration is gone (it is dying: retry later).
    public var advertiseURL: String?
    public var fencingToken: Int64
}

/// What `acquire` found.
public enum LeaseAcquisition: Sendable {
    /// This node now owns the session.
    case acquired(DiagramLease)
    /// Another node (or this one, through an earlier lease) owns it.
    case ownedBy(DiagramOwner)
}

extension ClusterDirectory {
    /// Takes ownership of a diagram's session if no node holds it. `notBelow`: the newest
    /// fencing token the store has seen for the diagram (the new token is greater even if Redis
    /// lost its counter). `onLost` is called once if the lease ends other than by `release`.
    /// Throws `.unavailable` when Redis is down (the gateway answers 503).
    public func acquire(
        diagramID: String, notBelow: Int64 = 0,
        onLost: @escaping @Sendable (DiagramLease, LeaseLossReason) -> Void = { _, _ in }
    ) async throws(ClusterDirectoryError) -> LeaseAcquisition {
        guard state.withLock({ $0.running }) else { throw .notRunning }
        if let mine = lease(for: diagramID) {
            return .ownedBy(
                DiagramOwner(
                    diagramID: diagramID, nodeID: node.id, advertiseURL: node.advertiseURL,
                    fencingToken: mine.fencingToken))
        }
        let sentAt = ContinuousClock.now
        let reply: RedisValue
        do {
            reply = try await redis.eval(
                ClusterScripts.acquire,
                keys: [key("owner", diagramID), key("fence", diagramID), sessionsKey, infoKey],
                arguments: [node.id, ttlMilliseconds, String(max(notBelow, 0)), diagramID])
        } catch {
            throw ClusterDirectoryError(error)
        }
        guard let parts = reply.array, parts.count == 2, let flag = parts[0].integer else {
            throw .unexpectedReply("acquire answered \(reply)")
        }
        if flag == 1 {
            guard let token = parts[1].integer else { throw .unexpectedReply("acquire token \(parts[1])") }
            let lease = DiagramLease(
                diagramID: diagramID, fencingToken: token, ownerValue: "\(node.id) \(token)",
                trustedUntil: sentAt + configuration.leaseTrust, sentAt: sentAt, onLost: onLost)
            let replaced = state.withLock { s -> DiagramLease? in
                defer { s.leases[diagramID] = lease }
                return s.leases[diagramID]
            }
            replaced?.end(.lost)
            return .acquired(lease)
        }
        guard let owner = parts[1].string, let parsed = Self.parseOwner(owner) else {
            throw .unexpectedReply("acquire owner \(parts[1])")
        }
        let url = try await advertiseURL(ofNode: parsed.node)
        return .ownedBy(
            DiagramOwner(
                diagramID: diagramID, nodeID: parsed.node, advertiseURL: url, fencingToken: parsed.token))
    }

    /// Gives the lease up (session ended): deletes the owner key and listing if still ours.
    public func release(_ lease: DiagramLease) async {
        lease.end(.released)
        state.withLock { s in
            if s.leases[lease.diagramID] === lease { s.leases[lease.diagramID] = nil }
        }
        _ = try? await redis.eval(
            ClusterScripts.release, keys: [key("owner", lease.diagramID), sessionsKey, infoKey],
            arguments: [lease.ownerValue, lease.diagramID])
    }

    /// Publishes free-form info (JSON, say) about the session in the cluster-wide listing,
    /// while the lease is ours. False when it is not.
    @discardableResult
    public func publish(info: String, for lease: DiagramLease) async throws(ClusterDirectoryError) -> Bool {
        do {
            let reply = try await redis.eval(
                ClusterScripts.setInfo, keys: [key("owner", lease.diagramID), infoKey],
                arguments: [lease.ownerValue, lease.diagramID, info])
            return reply.integer == 1
        } catch {
            throw ClusterDirectoryError(error)
        }
    }

    /// The diagram's owner now (nil: no live session anywhere).
    public func owner(of diagramID: String) async throws(ClusterDirectoryError) -> DiagramOwner? {
        let reply: RedisValue
        do {
            reply = try await redis.send(RedisCommand("GET", key("owner", diagramID)))
        } catch {
            throw ClusterDirectoryError(error)
        }
        guard let text = reply.string, let parsed = Self.parseOwner(text) else { return nil }
        let url = try await advertiseURL(ofNode: parsed.node)
        return DiagramOwner(
            diagramID: diagramID, nodeID: parsed.node, advertiseURL: url, fencingToken: parsed.token)
    }

    /// A live node's advertise URL (nil when it is not registered).
    public func advertiseURL(ofNode id: String) async throws(ClusterDirectoryError) -> String? {
        if id == node.id { return node.advertiseURL }
        guard ClusterNode.isValidID(id) else { return nil }
        do {
            let reply = try await redis.send(RedisCommand("GET", key("node", id)))
            return reply.string.flatMap { Self.urlOfNodeValue($0) }
        } catch {
            throw ClusterDirectoryError(error)
        }
    }

    static func parseOwner(_ value: String) -> (node: String, token: Int64)? {
        let parts = value.split(separator: " ")
        guard parts.count == 2, let token = Int64(parts[1]) else { return nil }
        return (String(parts[0]), token)
    }

    static func urlOfNodeValue(_ value: String) -> String? {
        let parts = value.split(separator: " ", maxSplits: 1)
        return parts.count == 2 ? String(parts[1]) : nil
    }
}
