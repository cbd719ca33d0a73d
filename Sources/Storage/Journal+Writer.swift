import CollabCore

/// The writer side of `Journal`: everything here runs as jobs on the journal's `IOThread`.
extension Journal {
    private enum Work {
        case batch([(sequence: UInt64, bytes: [UInt8])])
        case rotate(path: String, completion: @Sendable (Result<UInt64, StorageError>) -> Void)
        case close(completion: @Sendable () -> Void)
        /// After a failure: what is left of the queue, to be failed or (for `close`) carried out.
        case drain([Pending], failure: StorageError)
        case nothing
    }

    /// One round of group commit: takes every record queued so far (up to the batch limits),
    /// writes them with one `write` and makes them durable with one `fdatasync`, then resumes
    /// their waiters. Records queued meanwhile form the next round, submitted as a new job so
    /// journals sharing the thread take turns.
    func flushOnce() {
        let work = state.withLock { s -> Work in
            if let failure = s.failure {
                defer { s.pending.removeAll() }
                return .drain(s.pending, failure: failure)
            }
            guard let head = s.pending.first else { return .nothing }
            switch head {
            case .record:
                var batch: [(sequence: UInt64, bytes: [UInt8])] = []
                var size = 0
                for item in s.pending {
                    guard case .record(let sequence, let bytes) = item, batch.count < options.maxBatchRecords,
                        batch.isEmpty || size + bytes.count <= options.maxBatchBytes
                    else { break }
                    batch.append((sequence, bytes))
                    size += bytes.count + JournalLine.maxOverhead
                }
                s.pending.removeFirst(batch.count)
                return .batch(batch)
            case .rotate(let path, let completion):
                s.pending.removeFirst()
                return .rotate(path: path, completion: completion)
            case .close(let completion):
                s.pending.removeFirst()
                return .close(completion: completion)
            }
        }

        switch work {
        case .batch(let batch): write(batch)
        case .rotate(let path, let completion): completion(rotate(to: path))
        case .close(let completion): closeFile(completion)
        case .drain(let items, let failure):
            let path = state.withLock { $0.path }
            for item in items {
                switch item {
                case .record: break  // its waiters were failed with the batch that failed
                case .rotate(_, let completion): completion(.failure(.unusable(path: path, cause: failure)))
                case .close(let completion): closeFile(completion)
                }
            }
        case .nothing: break
        }

        let again = state.withLock { s -> Bool in
            if s.pending.isEmpty {
                s.flushScheduled = false
                return false
            }
            return true
        }
        if again { submitFlush() }
    }

    private func write(_ batch: [(sequence: UInt64, bytes: [UInt8])]) {
        guard let first = batch.first?.sequence, let last = batch.last?.sequence else { return }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(batch.reduce(0) { $0 + $1.bytes.count + JournalLine.maxOverhead })
        for record in batch {
            JournalLine.append(
                sequence: record.sequence, batchFirst: first, batchLast: last, payload: record.bytes,
                to: &buffer)
        }
        let outcome = file.withLock { f -> Result<Void, StorageError> in
            guard f.isOpen else { return .failure(.closed(path: f.path)) }
            do throws(StorageError) {
                if f.needsReset { try reset(&f) }
                if let code = options.writeFault?(f.path) {
                    throw StorageError.io(operation: "write", path: f.path, errno: code)
                }
                try FileIO.writeAll(f.fd, buffer, path: f.path)
                let syncStart = ContinuousClock.now
                try FileIO.syncData(f.fd, path: f.path)
                StorageMetrics.journalFsyncLatency.record(
                    nanoseconds: (ContinuousClock.now - syncStart).histogramNanoseconds)
                f.durableLength += buffer.count
                return .success(())
            } catch {
                // Best effort: cut the torn batch off so the file ends on a durable record. If this
                // fails too, recovery drops the torn batch anyway (see `JournalScan`).
                try? FileIO.truncate(f.fd, to: f.durableLength, path: f.path)
                try? FileIO.syncData(f.fd, path: f.path)
                f.needsReset = true
                return .failure(error)
            }
        }
        switch outcome {
        case .success:
            let ready = state.withLock { s -> [Waiter] in
                s.durableSequence = last
                s.metrics.batches += 1
                s.metrics.fsyncs += 1
                s.metrics.bytesWritten += UInt64(buffer.count)
                s.metrics.largestBatch = max(s.metrics.largestBatch, batch.count)
                return s.takeWaiters(through: last)
            }
            for waiter in ready { waiter.completion(.success(())) }
        case .failure(let error):
            fail(with: error, batchLast: last)
        }
    }

    /// Makes the journal refuse appends until `resumeAfterFailure`: waiters of the failed batch
    /// get `error`, later ones `.unusable`. Records and rotations queued behind the failed batch
    /// are dropped here, at once, so a resume can never write them (their changes are being
    /// rolled back by the owner) and a snapshot can never be taken over a lost record.
    func fail(with error: StorageError, batchLast: UInt64 = 0) {
        let (waiters, rotations, path) = state.withLock {
            s -> ([Waiter], [@Sendable (Result<UInt64, StorageError>) -> Void], String) in
            if s.failure == nil {
                s.failure = error
                s.failedBatchLast = batchLast
            }
            s.metrics.failures += 1
            var rotations: [@Sendable (Result<UInt64, StorageError>) -> Void] = []
            s.pending.removeAll { item in
                switch item {
                case .record: return true
                case .rotate(_, let completion):
                    rotations.append(completion)
                    return true
                case .close: return false
                }
            }
            defer { s.waiters.removeAll() }
            return (s.waiters, rotations, s.path)
        }
        for waiter in waiters {
            waiter.completion(
                .failure(waiter.sequence <= batchLast ? error : .unusable(path: path, cause: error)))
        }
        for rotation in rotations { rotation(.failure(.unusable(path: path, cause: error))) }
    }

    /// Before the first write after a failure: reopen the file and cut it back to its last durable
    /// length, durably. After a failed `fdatasync` the kernel may have dropped (or kept, marked
    /// clean) the failed batch's pages, so the old descriptor's view cannot be trusted; a fresh
    /// descriptor, an explicit truncate and an fsync put the file back to exactly the
    /// acknowledged records, so a later batch never lands behind garbage.
    private func reset(_ f: inout OpenFile) throws(StorageError) {
        let fd = try FileIO.openForAppend(f.path)
        do throws(StorageError) {
            try FileIO.truncate(fd, to: f.durableLength, path: f.path)
            try FileIO.syncData(fd, path: f.path)
        } catch {
            FileIO.close(fd)
            throw error
        }
        FileIO.close(f.fd)
        f.fd = fd
        f.needsReset = false
    }

    /// Switches appends to a new, empty file. The directory is fsynced before any record goes to
    /// the new file, so an acknowledged record never lives in a file whose name could vanish.
    private func rotate(to path: String) -> Result<UInt64, StorageError> {
        let switched = file.withLock { f -> Result<Void, StorageError> in
            guard f.isOpen else { return .failure(.closed(path: f.path)) }
            do throws(StorageError) {
                let fd = try FileIO.openForAppend(path, exclusive: true)
                do throws(StorageError) {
                    try FileIO.syncDirectory(containing: path)
                } catch {
                    FileIO.close(fd)
                    try? FileIO.remove(path)
                    throw error
                }
                FileIO.close(f.fd)
                f = OpenFile(fd: fd, path: path, durableLength: 0)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        return state.withLock { s -> Result<UInt64, StorageError> in
            switch switched {
            case .success:
                s.path = path
                s.metrics.fsyncs += 1
                return .success(s.durableSequence)
            case .failure(let error): return .failure(error)
            }
        }
    }

    private func closeFile(_ completion: @Sendable () -> Void) {
        file.withLock { f in
            if f.isOpen { FileIO.close(f.fd) }
            f.isOpen = false
        }
        let waiters = state.withLock { s -> [Waiter] in
            defer { s.waiters.removeAll() }
            return s.waiters
        }
        let path = self.path
        for waiter in waiters { waiter.completion(.failure(.closed(path: path))) }
        if ownsThread { thread.stop() }
        completion()
    }
}

extension Journal.State {
    /// Removes and returns the waiters whose record is now durable.
    mutating func takeWaiters(through sequence: UInt64) -> [Journal.Waiter] {
        var ready: [Journal.Waiter] = []
        waiters.removeAll { waiter in
            guard waiter.sequence <= sequence else { return false }
            ready.append(waiter)
            return true
        }
        return ready
    }
}
