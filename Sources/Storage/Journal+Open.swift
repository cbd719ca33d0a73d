/// Opening a stand-alone journal: recovery of what is on disk, then appends after it.
extension Journal {
    /// Reads the journal at `path` (created if absent), drops a torn final batch (truncating the
    /// file there), and returns the journal ready for appends with every intact record. Damage to
    /// acknowledged records is `.corrupt`. Sequence numbers start at 1.
    @available(*, noasync, message: "blocks the thread; use the async open from async code")
    public static func open(
        path: String, options: StorageOptions = StorageOptions()
    ) throws(StorageError) -> (journal: Journal, records: [JournalRecord]) {
        try recover(path: path, options: options)
    }

    /// The same, with the reading done on an I/O thread.
    public static func open(
        path: String, options: StorageOptions = StorageOptions()
    ) async throws(StorageError) -> (journal: Journal, records: [JournalRecord]) {
        try await IOThread.run(on: options.journalThread, name: "tmi-journal-open") {
            () throws(StorageError) -> (journal: Journal, records: [JournalRecord]) in
            try recover(path: path, options: options)
        }
    }

    private static func recover(
        path: String, options: StorageOptions
    ) throws(StorageError) -> (journal: Journal, records: [JournalRecord]) {
        let existing = try FileIO.readAll(path)
        let bytes = existing ?? []
        let scan = try JournalScan.scan(bytes, path: path, allowTornTail: true, firstSequence: 1)
        let fd = try openTrimmed(
            path: path, validLength: scan.validLength, fileLength: bytes.count, isNew: existing == nil)
        do throws(StorageError) {
            let journal = try Journal(
                fd: fd, path: path, length: scan.validLength, nextSequence: (scan.lastSequence ?? 0) + 1,
                options: options)
            return (journal, scan.records)
        } catch {
            FileIO.close(fd)
            throw error
        }
    }

    /// Opens `path` for appending, first cutting off a torn tail the scan found (and making the
    /// cut durable, so a later crash cannot resurrect half a batch in front of new records).
    static func openTrimmed(
        path: String, validLength: Int, fileLength: Int, isNew: Bool
    ) throws(StorageError) -> Int32 {
        let fd = try FileIO.openForAppend(path)
        do throws(StorageError) {
            if validLength < fileLength {
                try FileIO.truncate(fd, to: validLength, path: path)
                try FileIO.syncData(fd, path: path)
            }
            if isNew { try FileIO.syncDirectory(containing: path) }
            return fd
        } catch {
            FileIO.close(fd)
            throw error
        }
    }
}
