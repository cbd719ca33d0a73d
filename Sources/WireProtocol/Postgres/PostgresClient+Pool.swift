import Synchronization

extension PostgresClient {
    private enum Decision {
        case use(PostgresConnection)
        case connect
        case wait
        case fail(PostgresError)
    }

    /// A connection to send on. Shared: the least busy one not leased (opening another in the
    /// background when all are busy and the pool has room). Exclusive: an unleased connection,
    /// marked leased until `release`.
    func acquire(exclusive: Bool) async throws(PostgresError) -> PostgresConnection {
        let deadline = ContinuousClock.now.advanced(by: configuration.acquireTimeout)
        while true {
            var grow = false
            let decision = pool.withLock { p -> Decision in
                if p.closed { return .fail(.closed) }
                p.entries.removeAll { $0.connection.isClosed }
                var best: (index: Int, load: Int)?
                for (i, entry) in p.entries.enumerated() where !entry.leased {
                    let load = entry.connection.inFlightCount
                    if best == nil || load < best!.load { best = (i, load) }
                }
                let room = p.entries.count + p.connecting < configuration.maxConnections
                if let best {
                    if exclusive { p.entries[best.index].leased = true }
                    if best.load > 0 && room && p.outage == nil {
                        p.connecting += 1
                        grow = true
                    }
                    return .use(p.entries[best.index].connection)
                }
                if let outage = p.outage, p.entries.isEmpty { return .fail(.unavailable(outage)) }
                if room {
                    p.connecting += 1
                    return .connect
                }
                return .wait
            }
            switch decision {
            case .use(let connection):
                if grow { Task { try? await self.openConnection(leased: false) } }
                return connection
            case .connect:
                return try await openConnection(leased: exclusive)
            case .fail(let error):
                throw error
            case .wait:
                guard ContinuousClock.now < deadline else { throw .poolTimeout }
                await waitForChange(until: deadline)
            }
        }
    }

    /// Returns a leased connection to the pool. One left inside a transaction (the rollback
    /// failed) is closed rather than handed to the next caller.
    func release(_ connection: PostgresConnection) {
        if connection.transactionStatus != .idle && !connection.isClosed { connection.close() }
        pool.withLock { p in
            if let i = p.entries.firstIndex(where: { $0.connection === connection }) {
                p.entries[i].leased = false
            }
        }
        wakeWaiters()
    }

    /// Opens a connection (the caller has counted it in `connecting`) and adds it to the pool.
    @discardableResult
    func openConnection(leased: Bool) async throws(PostgresError) -> PostgresConnection {
        do throws(PostgresError) {
            let connection = try await PostgresConnection.open(configuration, tls: try tlsContext()) {
                [weak self] closed in
                self?.connectionClosed(closed)
            }
            let added = pool.withLock { p -> Bool in
                p.connecting -= 1
                guard !p.closed else { return false }
                p.entries.append(Entry(connection: connection, leased: leased))
                p.outage = nil
                p.backoff.reset()
                return true
            }
            wakeWaiters()
            guard added else {
                connection.close()
                throw PostgresError.closed
            }
            return connection
        } catch {
            pool.withLock { $0.connecting -= 1 }
            if error.isUnavailable || error == .timedOut { noteOutage(error) }
            wakeWaiters()
            throw error
        }
    }

    private func tlsContext() throws(PostgresError) -> TLSContext? {
        if let cached = tls.withLock({ $0 }) { return cached }
        let context = try PostgresConnection.tlsContext(for: configuration)
        tls.withLock { $0 = context }
        return context
    }

    private func connectionClosed(_ connection: PostgresConnection) {
        let empty = pool.withLock { p -> Bool in
            p.entries.removeAll { $0.connection === connection }
            return p.entries.isEmpty && !p.closed
        }
        wakeWaiters()
        if empty { noteOutage(.connectionClosed) }
    }

    /// Records that the server is unreachable and starts the reconnect task if none runs.
    private func noteOutage(_ error: PostgresError) {
        let start = pool.withLock { p -> Bool in
            guard !p.closed else { return false }
            if p.outage == nil || error != .connectionClosed { p.outage = error.description }
            guard !p.reconnecting else { return false }
            p.reconnecting = true
            return true
        }
        if start { Task { await self.reconnectLoop() } }
    }

    /// Tries to connect with exponential backoff until one connection is open again.
    private func reconnectLoop() async {
        while true {
            let step = pool.withLock { p -> (Duration, Bool)? in
                guard !p.closed, p.entries.isEmpty, p.outage != nil else {
                    p.reconnecting = false
                    return nil
                }
                let delay = p.backoff.next(configuration.reconnectBackoff)
                let room = p.entries.count + p.connecting < configuration.maxConnections
                if room { p.connecting += 1 }
                return (delay, room)
            }
            guard let (delay, room) = step else { return }
            if room {
                if (try? await openConnection(leased: false)) != nil {
                    pool.withLock { $0.reconnecting = false }
                    return
                }
            }
            try? await Task.sleep(for: delay)
        }
    }

    /// Waits until the pool has an open connection (reconnecting as needed), or `timeout`.
    public func waitUntilAvailable(timeout: Duration) async throws(PostgresError) {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            let state = pool.withLock { p -> (closed: Bool, open: Bool, idle: Bool) in
                (
                    p.closed, p.entries.contains { !$0.connection.isClosed },
                    p.outage == nil && p.connecting == 0
                )
            }
            if state.closed { throw .closed }
            if state.open { return }
            if state.idle {
                pool.withLock { $0.connecting += 1 }
                do {
                    try await openConnection(leased: false)
                    return
                } catch  where !error.isUnavailable {
                    throw error
                } catch {}
            }
            guard ContinuousClock.now < deadline else {
                throw .unavailable("not reconnected within \(timeout)")
            }
            await waitForChange(until: deadline)
        }
    }

    /// Suspends until a connection is added, released or lost, or until `deadline`.
    private func waitForChange(until deadline: ContinuousClock.Instant) async {
        let id = pool.withLock { p -> UInt64 in
            p.nextWaiter += 1
            return p.nextWaiter
        }
        let timer = Task {
            try? await Task.sleep(until: deadline, clock: .continuous)
            self.wake(id)
        }
        defer { timer.cancel() }
        await withCheckedContinuation { continuation in
            let resumeNow = pool.withLock { p -> Bool in
                if p.closed || ContinuousClock.now >= deadline { return true }
                p.waiters.append(Waiter(id: id, continuation: continuation))
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    private func wake(_ id: UInt64) {
        let waiter = pool.withLock { p -> Waiter? in
            guard let i = p.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return p.waiters.remove(at: i)
        }
        waiter?.continuation.resume()
    }

    private func wakeWaiters() {
        let waiters = pool.withLock { p in
            defer { p.waiters = [] }
            return p.waiters
        }
        for waiter in waiters { waiter.continuation.resume() }
    }
}
