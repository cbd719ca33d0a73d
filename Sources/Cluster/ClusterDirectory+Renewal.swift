import WireProtocol

extension ClusterDirectory {
    /// Wakes every sixth of the lease TTL: renews (in one pipeline) the registration and every
    /// lease last renewed a third of a TTL ago, each by compare-and-renew, then ends the leases
    /// Redis refused (`.lost`) and those not confirmed for two thirds of the TTL
    /// (`.cannotRenew`). A renewal round waits at most one tick, so a hung Redis delays loss
    /// detection by at most a sixth of the TTL: loss is signalled by 5/6 of the TTL at worst,
    /// before the lease can lapse in Redis.
    func renewLoop() async {
        let tick = configuration.tick
        while !Task.isCancelled {
            let roundStart = ContinuousClock.now
            await renewRound(timeout: tick)
            expireUnconfirmed()
            try? await Task.sleep(until: roundStart + tick, clock: .continuous)
        }
    }

    private func renewRound(timeout: Duration) async {
        let now = ContinuousClock.now
        let (running, leases, nodeDue) = state.withLock { s -> (Bool, [DiagramLease], Bool) in
            let due = s.leases.values.filter { lease in
                lease.state.withLock {
                    $0.ended == nil && now - $0.lastRenewalSent >= configuration.leaseTTL / 3
                }
            }
            let nodeDue = s.lastNodeRenewal.map { now - $0 >= configuration.nodeTTL / 3 } ?? true
            return (s.running, due, nodeDue)
        }
        guard running, nodeDue || !leases.isEmpty else { return }
        var commands: [RedisCommand] = []
        let nodeKey = key("node", node.id)
        if nodeDue {
            commands.append(
                RedisCommand(
                    "EVAL", ClusterScripts.renew, "1", nodeKey, nodeValue,
                    String(configuration.nodeTTL.milliseconds)))
        }
        for lease in leases {
            lease.state.withLock { $0.lastRenewalSent = now }
            commands.append(
                RedisCommand(
                    "EVAL", ClusterScripts.renew, "1", key("owner", lease.diagramID), lease.ownerValue,
                    ttlMilliseconds))
        }
        let replies: [RedisValue]
        do {
            replies = try await redis.pipeline(commands, timeout: timeout)
        } catch {
            // Unconfirmed: the leases stay trusted until their time runs out (expireUnconfirmed).
            if nodeDue { state.withLock { $0.lastNodeRenewal = now } }
            return
        }
        var index = 0
        if nodeDue {
            await nodeRenewed(replies[index], sentAt: now, nodeKey: nodeKey)
            index += 1
        }
        for lease in leases {
            let reply = replies[index]
            index += 1
            switch reply.integer {
            case 1: lease.confirmed(sentAt: now, trust: configuration.leaseTrust)
            case 0: lose(lease, .lost)
            default: break
            }
        }
    }

    /// Our registration renewed, or found missing (Redis lost its data: register again) or
    /// taken by another instance with our id (refuse readiness and say so).
    private func nodeRenewed(_ reply: RedisValue, sentAt: ContinuousClock.Instant, nodeKey: String) async {
        if reply.integer == 1 {
            state.withLock { s in
                s.lastNodeRenewal = sentAt
                s.nodeTrustedUntil = sentAt + configuration.nodeTTL * 2 / 3
            }
            return
        }
        state.withLock { $0.lastNodeRenewal = sentAt }
        let again = try? await redis.send(
            RedisCommand("SET", nodeKey, nodeValue, "NX", "PX", String(configuration.nodeTTL.milliseconds)))
        if let again, !again.isNull {
            configuration.log("cluster: node \(node.id) registered again (its key was gone from Redis)")
            state.withLock { s in
                s.conflict = nil
                s.nodeTrustedUntil = sentAt + configuration.nodeTTL * 2 / 3
            }
        } else if again != nil {
            let message = "cluster: node id \(node.id) was taken by another process; this node is not ready"
            let first = state.withLock { s -> Bool in
                defer { s.conflict = message }
                return s.conflict == nil
            }
            if first { configuration.log(message) }
        }
    }

    /// Ends the leases not confirmed in time.
    func expireUnconfirmed() {
        let now = ContinuousClock.now
        let stale = state.withLock { s in
            s.leases.values.filter { lease in
                lease.state.withLock { $0.ended == nil && now >= $0.trustedUntil }
            }
        }
        for lease in stale { lose(lease, .cannotRenew("no renewal confirmed by Redis in time")) }
    }

    private func lose(_ lease: DiagramLease, _ reason: LeaseLossReason) {
        state.withLock { s in
            if s.leases[lease.diagramID] === lease { s.leases[lease.diagramID] = nil }
        }
        if lease.end(reason) { configuration.log("cluster: diagram \(lease.diagramID): \(reason)") }
    }
}
