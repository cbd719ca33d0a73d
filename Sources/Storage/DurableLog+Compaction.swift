/// Compaction: replace the journal up to a point with a snapshot.
extension DurableLog {
    /// Makes `snapshot` (the owner's state including exactly the records up to `sequence`) the new
    /// base, then removes the journal generations it covers. Runs off the cooperative pool; appends
    /// carry on meanwhile. One compaction at a time (a second one fails with `.invalidArgument`).
    ///
    /// Steps, and what a crash after each leaves:
    /// 1. The journal switches to a new generation (created, directory fsynced) at its current end
    ///    R >= `sequence`. Crash: old snapshot + all generations, replayed in order.
    /// 2. The snapshot is written to `name.snapshot.tmp`, fsynced, renamed over `name.snapshot`,
    ///    and the directory fsynced. Crash before the rename: the temp file is removed on open
    ///    and step 1's state recovers. After it: the new snapshot, whose `journal=` field names
    ///    the first generation that may hold records after `sequence`; replay skips records up to
    ///    `sequence`, so records also still present in an older generation are not applied twice.
    /// 3. Generations before that one are deleted. Crash part-way: open deletes the rest.
    public func compact(snapshot: [UInt8], through sequence: UInt64) async throws(StorageError) {
        let next = try state.withLock { s throws(StorageError) -> UInt64 in
            guard !s.compacting else { throw .invalidArgument("a compaction of \(name) is already running") }
            guard sequence >= s.snapshotSequence else {
                throw .invalidArgument(
                    "snapshot through \(sequence) is older than the current (\(s.snapshotSequence))")
            }
            guard sequence <= journal.lastSequence else {
                throw .invalidArgument(
                    "snapshot through \(sequence) is ahead of the journal (\(journal.lastSequence))")
            }
            s.compacting = true
            return s.currentGeneration + 1
        }
        defer { state.withLock { $0.compacting = false } }

        let endOfOld = try await rotate(to: journalPath(next))
        let keepFrom = state.withLock { s -> UInt64 in
            s.closedGenerations.append(Generation(number: s.currentGeneration, lastSequence: endOfOld))
            s.currentGeneration = next
            return s.closedGenerations.first { $0.lastSequence > sequence }?.number ?? next
        }

        let header = SnapshotHeader(sequence: sequence, journalGeneration: keepFrom)
        let path = snapshotPath
        try await IOThread.run(on: options.snapshotThread, name: "tmi-snapshot") { () throws(StorageError) in
            try SnapshotFile.write(snapshot, header: header, to: path)
        }

        let obsolete = state.withLock { s -> [UInt64] in
            s.snapshotSequence = sequence
            let old = s.closedGenerations.filter { $0.number < keepFrom }.map(\.number)
            s.closedGenerations.removeAll { $0.number < keepFrom }
            return old
        }
        guard !obsolete.isEmpty else { return }
        let paths = obsolete.map(journalPath)
        let directory = self.directory
        try await IOThread.run(on: options.snapshotThread, name: "tmi-compact") { () throws(StorageError) in
            for path in paths { try FileIO.remove(path) }
            try FileIO.syncDirectory(directory)
        }
    }

    /// Switches the journal to a new file; returns the last sequence number in the old one.
    private func rotate(to path: String) async throws(StorageError) -> UInt64 {
        let result = await withCheckedContinuation {
            (c: CheckedContinuation<Result<UInt64, StorageError>, Never>) in
            journal.enqueueRotation(to: path) { c.resume(returning: $0) }
        }
        return try result.get()
    }

    /// Journal generations on disk, oldest first (for tests and diagnostics).
    var generationsOnDisk: [UInt64] {
        state.withLock { s in s.closedGenerations.map(\.number) + [s.currentGeneration] }
    }
}
