/// Opening a durable log: load the snapshot, replay the journal generations after it, and clean
/// up what an interrupted compaction left behind.
extension DurableLog {
    /// Opens (creating the directory if needed) the log `name` in `directory`. A torn final batch
    /// of the newest journal is dropped; any other damage is `.corrupt` (nothing acknowledged is
    /// ever silently skipped). `name` may hold letters, digits, `.`, `_` and `-`.
    @available(*, noasync, message: "blocks the thread; use the async open from async code")
    public static func open(
        directory: String, name: String, options: StorageOptions = StorageOptions()
    ) throws(StorageError) -> (log: DurableLog, recovery: Recovery) {
        try recover(directory: directory, name: name, options: options)
    }

    /// The same, with the file work done on an I/O thread.
    public static func open(
        directory: String, name: String, options: StorageOptions = StorageOptions()
    ) async throws(StorageError) -> (log: DurableLog, recovery: Recovery) {
        try await IOThread.run(on: options.journalThread, name: "tmi-log-open") {
            () throws(StorageError) -> (log: DurableLog, recovery: Recovery) in
            try recover(directory: directory, name: name, options: options)
        }
    }

    static func recover(
        directory: String, name: String, options: StorageOptions
    ) throws(StorageError) -> (log: DurableLog, recovery: Recovery) {
        try validate(name: name)
        try FileIO.makeDirectories(directory)
        let files = try FileIO.list(directory)
        let snapshotPath = "\(directory)/\(name).snapshot"
        if files.contains(name + ".snapshot.tmp") {
            try FileIO.remove(AtomicFile.temporaryPath(for: snapshotPath))
        }
        let generations = files.compactMap { generation(of: $0, name: name) }.sorted()
        let snapshot = try SnapshotFile.read(snapshotPath)
        let covered = snapshot?.header.sequence ?? 0
        let firstNeeded = snapshot?.header.journalGeneration ?? 0

        // Replay: generations the snapshot does not cover, skipping records it includes.
        var records: [JournalRecord] = []
        var closed: [Generation] = []
        var last: UInt64?
        var tail = (validLength: 0, fileLength: 0)
        let replay = generations.filter { $0 >= firstNeeded }
        for (i, number) in replay.enumerated() {
            let path = "\(directory)/\(name).journal.\(number)"
            let bytes = try FileIO.readAll(path) ?? []
            let isNewest = i == replay.count - 1
            let due = last.map { $0 + 1 } ?? (snapshot == nil ? 1 : nil)
            let scan = try JournalScan.scan(bytes, path: path, allowTornTail: isNewest, firstSequence: due)
            if last == nil, let first = scan.records.first?.sequence, first > covered + 1 {
                throw .corrupt(
                    path: path, offset: 0,
                    reason: "records \(covered + 1)...\(first - 1) are missing (snapshot ends at \(covered))")
            }
            records.append(contentsOf: scan.records.drop { $0.sequence <= covered })
            last = scan.lastSequence ?? last
            if isNewest {
                tail = (scan.validLength, bytes.count)
            } else {
                closed.append(Generation(number: number, lastSequence: last ?? covered))
            }
        }

        let current = replay.last ?? max(firstNeeded, 1)
        let currentPath = "\(directory)/\(name).journal.\(current)"
        let fd = try Journal.openTrimmed(
            path: currentPath, validLength: tail.validLength, fileLength: tail.fileLength,
            isNew: replay.isEmpty)
        let journal: Journal
        do throws(StorageError) {
            journal = try Journal(
                fd: fd, path: currentPath, length: tail.validLength,
                nextSequence: max(covered, last ?? 0) + 1, options: options)
        } catch {
            FileIO.close(fd)
            throw error
        }

        // Generations older than the snapshot's are covered by it: a crash came before their removal.
        let stale = generations.filter { $0 < firstNeeded }
        for number in stale { try FileIO.remove("\(directory)/\(name).journal.\(number)") }
        if !stale.isEmpty { try FileIO.syncDirectory(directory) }

        let log = DurableLog(
            directory: directory, name: name, journal: journal, options: options,
            state: LogState(snapshotSequence: covered, currentGeneration: current, closedGenerations: closed))
        let recovery = Recovery(snapshot: snapshot?.body, snapshotSequence: covered, records: records)
        return (log, recovery)
    }

    /// The generation number of a journal file of log `name`, or nil for any other file.
    static func generation(of file: String, name: String) -> UInt64? {
        let prefix = name + ".journal."
        guard file.hasPrefix(prefix) else { return nil }
        let digits = file.dropFirst(prefix.count)
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { return nil }
        return UInt64(digits)
    }

    static func validate(name: String) throws(StorageError) {
        let allowed = name.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
                || c == UInt8(ascii: ".") || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")
        }
        guard !name.isEmpty, name.utf8.count <= 200, allowed, !name.hasPrefix(".") else {
            throw .invalidArgument(
                "log name \"\(name)\" must be 1-200 of [A-Za-z0-9._-], not starting with \".\"")
        }
    }
}
