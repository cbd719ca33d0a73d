import CollabCore

/// Collection reads on a node of several (DESIGN §11, docs/cluster.md "Lists"): `GET
/// /threat_models` and the session listings answer from memory, so before them a node brings
/// every model that changed elsewhere up to date. Cheap by construction: one small query reads
/// each model's (id, revision) from the backend, and only the models whose revision differs from
/// the copy in memory are read back; models gone from the backend are dropped.
extension ThreatModelStore {
    /// Most models read back at once (each is a handful of queries on the pool).
    static let refreshConcurrency = 8

    /// Makes memory agree with the shared backend for every model that changed there, as of a
    /// moment after this call started: so a change another node acknowledged before the caller's
    /// request arrived is in the memory the caller then reads (read-your-writes across nodes).
    /// Waits first for this node's own queued writes, like `refresh(model:)`; a model this node
    /// writes while the read is in flight keeps its memory copy (its own commit may be newer than
    /// what was read; the next call reads it back). Two concurrent calls may read the same model;
    /// a read that started earlier never replaces one that started later. Does nothing for a backend that is not shared.
    public func refreshChanged() async throws(StoreUnavailable) {
        guard let backend, backend.isShared else { return }
        let (before, mark) = core.withLock { ($0.lastTicket, $0.changes) }
        if before > 0 { try await backend.waitDurable(before) }
        let (indexStamp, index) = try await sharedIndex(backend).get()
        let stale: [String] = core.withLock { c in
            var gone: Set<String> = []
            for id in c.state.models.keys
            where index[id] == nil && !c.wroteSince(mark, id) && c.isNewer(indexStamp, id) {
                gone.insert(id)
            }
            if !gone.isEmpty {
                for id in gone {
                    c.state.models[id] = nil
                    c.sharedRevisions[id] = nil
                    c.readStamps[id] = indexStamp
                    c.changed(model: id)
                }
                c.state.fences = c.state.fences.filter { !gone.contains($0.key.model) }
            }
            return index.compactMap { id, revision in c.sharedRevisions[id] == revision ? nil : id }
        }
        guard !stale.isEmpty else { return }
        let failure = await withTaskGroup(of: StoreUnavailable?.self) { group in
            var next = stale.makeIterator()
            func start() -> Bool {
                guard let id = next.next() else { return false }
                group.addTask {
                    do throws(StoreUnavailable) {
                        let stamp = self.core.withLock { $0.startRead() }
                        let (loaded, revision) = try await backend.loadRevisedModel(id)
                        self.core.withLock { c in
                            guard !c.wroteSince(mark, id) else { return }
                            c.replace(model: id, from: loaded, revision: revision, read: stamp)
                        }
                        return nil
                    } catch {
                        return error
                    }
                }
                return true
            }
            for _ in 0..<Self.refreshConcurrency { guard start() else { break } }
            var failure: StoreUnavailable?
            while let result = await group.next() {
                if let result, failure == nil { failure = result }
                _ = start()
            }
            return failure
        }
        if let failure { throw failure }
    }
}

extension ThreatModelStore {
    /// The stamp and result of one read of the (id, revision) index.
    typealias IndexRead = Result<(stamp: UInt64, index: [String: Int]), StoreUnavailable>

    /// The (id, revision) index, read by a query that started after this call did (so it shows
    /// every change committed before), shared by every caller waiting at that moment: under load
    /// a node runs one index query at a time, not one per list request. A caller that arrives
    /// while a read is in flight waits for the next one (the running one may predate its arrival).
    func sharedIndex(_ backend: any Store) async -> IndexRead {
        await withCheckedContinuation { (waiter: CheckedContinuation<IndexRead, Never>) in
            let start = core.withLock { c -> Bool in
                c.indexWaiters.append(waiter)
                guard !c.indexReading else { return false }
                c.indexReading = true
                return true
            }
            if start { Task { await self.readIndexRounds(backend) } }
        }
    }

    /// Reads the index for everyone waiting, again while more wait, then stops.
    private func readIndexRounds(_ backend: any Store) async {
        while true {
            let (waiters, stamp) = core.withLock { c -> ([CheckedContinuation<IndexRead, Never>], UInt64) in
                let waiters = c.indexWaiters
                c.indexWaiters = []
                guard !waiters.isEmpty else {
                    c.indexReading = false
                    return ([], 0)
                }
                return (waiters, c.startRead())
            }
            guard !waiters.isEmpty else { return }
            let result: IndexRead
            do throws(StoreUnavailable) {
                result = .success((stamp, try await backend.modelRevisions()))
            } catch {
                result = .failure(error)
            }
            for waiter in waiters { waiter.resume(returning: result) }
        }
    }
}

extension ThreatModelStore.Core {
    /// Whether this node committed a change to model `id` after `changes` was `mark`.
    func wroteSince(_ mark: UInt64, _ id: String) -> Bool { (written[id] ?? 0) > mark }

    /// Stamps a read of the backend about to start (see `readStamps`).
    mutating func startRead() -> UInt64 {
        readCount += 1
        return readCount
    }

    /// Whether a read stamped `stamp` started after the one memory's copy of `id` came from.
    func isNewer(_ stamp: UInt64, _ id: String) -> Bool { stamp > (readStamps[id] ?? 0) }

    /// Puts the backend's copy of model `id` (absent: deleted) and its diagrams' fencing marks in
    /// place of memory's, unless memory already holds a read that started later (a concurrent
    /// refresh that finished first): it saw the backend at a later moment.
    mutating func replace(model id: String, from loaded: StoreState, revision: Int?, read stamp: UInt64) {
        guard isNewer(stamp, id) else { return }
        readStamps[id] = stamp
        state.models[id] = loaded.models[id]
        sharedRevisions[id] = revision
        changed(model: id)
        state.fences = state.fences.filter { $0.key.model != id }
        for (key, token) in loaded.fences where key.model == id { state.fences[key] = token }
    }
}
