import FoundationEssentials
import Glibc
import Storage
import Synchronization

/// A value the identity service keeps on disk as a snapshot and a journal of its changes
/// (`JournaledFile`): the token ledger and the user registry.
protocol JournaledContent: Sendable {
    /// The keys changed since the last `takeChanges()` (the content records them itself).
    associatedtype Changes: JournalChanges
    /// One journal line: each changed entry's new value.
    associatedtype Delta: JournalDelta

    /// The content of a directory that has no file yet.
    init()
    /// The snapshot: a JSON object (the file adds its `journalSequence` member).
    func encoded() -> [UInt8]
    /// Reads a snapshot written by `encoded()` (or an older format of the file).
    static func decodeSnapshot(_ bytes: [UInt8]) throws -> Self
    /// The entries named by `keys`, as they are now.
    func delta(sequence: UInt64, keys: Changes) -> Delta
    /// Sets every entry the delta names (replay; records no changes).
    mutating func apply(_ delta: Delta)
}

protocol JournalChanges: Sendable {
    init()
    mutating func formUnion(_ other: Self)
}

/// Applying a delta sets whole entries, so applying a run of deltas in order gives every key the
/// value of the last delta that names it, whatever the content they start from held for it:
/// replay after a crash needs no more than the order.
protocol JournalDelta: Codable, Sendable {
    /// Rises by one per journal line; a snapshot names the last one it includes.
    var sequence: UInt64 { get }
    var isEmpty: Bool { get }
}

/// A journaled content on disk: `NAME.json`, a snapshot of the whole, and `NAME.journal`, one
/// line per flush of the changes made since (`Content.Delta`, JSON).
///
/// The token ledger and the users file used to be rewritten whole on every change: O(sessions)
/// bytes encoded and synced per login (7.3 ms at 3,000 sessions), O(users) per first login
/// (5.0 ms at 2,000 users; benchmarks/perf.md). Now a flush appends what changed (a few hundred
/// bytes) and syncs that. When the journal has grown as large as the snapshot (64 KiB at least),
/// the flush writes a new snapshot instead (temp file, fsync, rename) and removes the journal,
/// so the work stays proportional to the changes.
///
/// Crash safety rests on sequence numbers. Each journal line carries one, rising by one; a
/// snapshot records the last one it includes (`journalSequence`), and replay applies, in file
/// order, only the lines after it. So a crash between writing a snapshot and removing the
/// journal replays nothing twice. A line torn by a crash was never acknowledged (a flush returns
/// only after its fsync) and does not parse: it is skipped. Any failed write makes the next
/// flush write a snapshot rather than append after the damage, numbered past every line ever
/// attempted, so no later line depends on an earlier one that may be missing.
///
/// Callers `stage` a copy of the content (a value, so the copy is free) and the keys it changed
/// while still holding the lock under which they changed it, so staged versions follow the order
/// of the changes; then they `flush` and wait. The encoding and the writing run on the identity
/// I/O thread (encoding under the service's lock once held every token check on the I/O loops
/// behind each login), and a flush always writes the newest staged content, so a flush that
/// runs late never puts an older state back on disk, and a burst of changes costs one write.
final class JournaledFile<Content: JournaledContent>: Sendable {
    let snapshotPath: String
    let journalPath: String
    private let io: IOThread
    private let minimumCompaction: Int

    private struct State {
        /// The newest content staged (or loaded).
        var latest: Content
        var stagedVersion: UInt64 = 0
        var writtenVersion: UInt64 = 0
        /// The keys changed since the last write that succeeded.
        var pendingKeys = Content.Changes()
        /// The highest sequence number written or attempted.
        var sequence: UInt64
        var journalBytes: Int
        var snapshotBytes: Int
        /// Set after a failed write or a skipped line: the next flush writes a snapshot.
        var needsSnapshot: Bool
    }
    private let state: Mutex<State>

    /// What `load` found.
    struct Loaded: Sendable {
        var content = Content()
        var sequence: UInt64 = 0
        var journalBytes = 0
        var snapshotBytes = 0
        /// Journal lines that did not parse (torn by a crash).
        var skippedLines = 0
    }

    /// - Parameters:
    ///   - loaded: what `load` read from `directory`.
    ///   - minimumCompaction: the journal size below which no snapshot is written.
    init(
        directory: String, name: String, io: IOThread, loaded: Loaded, minimumCompaction: Int = 64 * 1024
    ) {
        snapshotPath = directory + "/" + name + ".json"
        journalPath = directory + "/" + name + ".journal"
        self.io = io
        self.minimumCompaction = minimumCompaction
        state = Mutex(
            State(
                latest: loaded.content, sequence: loaded.sequence, journalBytes: loaded.journalBytes,
                snapshotBytes: loaded.snapshotBytes, needsSnapshot: loaded.skippedLines > 0))
    }

    /// Stages `content`, whose entries named by `changes` changed since the last stage, as the
    /// content to make durable.
    func stage(_ content: Content, changes: Content.Changes) {
        state.withLock {
            $0.latest = content
            $0.pendingKeys.formUnion(changes)
            $0.stagedVersion += 1
        }
    }

    /// Makes everything staged so far durable. Throws when a write fails; the next flush tries
    /// again (with a snapshot).
    func flush() async throws(StorageError) {
        try await io.run { [self] () throws(StorageError) in try write(forceSnapshot: false) }
    }

    /// Writes a snapshot of the newest content and removes the journal, so the snapshot alone
    /// holds it (before it is imported elsewhere). A snapshot with no journal beside it
    /// is left byte for byte as it is: the import recognises a file by its hash.
    func compact() async throws(StorageError) {
        try await io.run { [self] () throws(StorageError) in try write(forceSnapshot: true) }
    }

    private struct Job {
        var content: Content
        var version: UInt64
        var keys: Content.Changes
        var sequence: UInt64
        var journalBytes: Int
        var snapshotBytes: Int
        var needsSnapshot: Bool
    }

    /// On the I/O thread.
    private func write(forceSnapshot: Bool) throws(StorageError) {
        let job = state.withLock { s -> Job? in
            guard s.stagedVersion > s.writtenVersion || forceSnapshot else { return nil }
            defer { s.pendingKeys = Content.Changes() }
            return Job(
                content: s.latest, version: s.stagedVersion, keys: s.pendingKeys, sequence: s.sequence + 1,
                journalBytes: s.journalBytes, snapshotBytes: s.snapshotBytes, needsSnapshot: s.needsSnapshot)
        }
        guard let job else { return }
        let delta = job.content.delta(sequence: job.sequence, keys: job.keys)
        if delta.isEmpty && !job.needsSnapshot && (!forceSnapshot || job.journalBytes == 0) {
            state.withLock { $0.writtenVersion = max($0.writtenVersion, job.version) }
            return
        }
        state.withLock { $0.sequence = job.sequence }  // attempted from here on
        do throws(StorageError) {
            let line: [UInt8]
            do {
                line = [0x0A] + Array(try JSONEncoder().encode(delta))
            } catch {
                throw .invalidArgument("cannot encode a change of \(snapshotPath): \(error)")
            }
            let compacting =
                forceSnapshot || job.needsSnapshot
                || job.journalBytes + line.count > max(minimumCompaction, job.snapshotBytes)
            if compacting {
                let bytes = Self.snapshot(job.content, through: job.sequence)
                try AtomicFile.write([bytes], to: snapshotPath)
                try removeJournal()
                state.withLock {
                    $0.journalBytes = 0
                    $0.snapshotBytes = bytes.count
                }
            } else {
                try append(line)
                state.withLock { $0.journalBytes += line.count }
            }
        } catch {
            state.withLock {
                $0.pendingKeys.formUnion(job.keys)
                $0.needsSnapshot = true
            }
            throw error
        }
        state.withLock {
            $0.needsSnapshot = false
            $0.writtenVersion = max($0.writtenVersion, job.version)
        }
    }

    /// The content's JSON with the last journal sequence it includes as one more member, which
    /// the content's own decoding ignores.
    static func snapshot(_ content: Content, through sequence: UInt64) -> [UInt8] {
        var bytes = content.encoded()
        bytes.removeLast()  // the closing brace
        bytes.append(contentsOf: #","journalSequence":"#.utf8)
        bytes.append(contentsOf: String(sequence).utf8)
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }

    private func append(_ line: [UInt8]) throws(StorageError) {
        let created = access(journalPath, F_OK) != 0
        let fd = open(journalPath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .io(operation: "open", path: journalPath, errno: errno) }
        defer { close(fd) }
        try FileIO.writeAll(fd, line, path: journalPath)
        try FileIO.sync(fd, path: journalPath)
        if created { try FileIO.syncDirectory(containing: journalPath) }
    }

    private func removeJournal() throws(StorageError) {
        if unlink(journalPath) != 0 {
            if errno == ENOENT { return }
            throw .io(operation: "unlink", path: journalPath, errno: errno)
        }
        try FileIO.syncDirectory(containing: journalPath)
    }

    /// Reads the snapshot and replays the journal lines after it. Blocking: start-up.
    static func load(directory: String, name: String) throws -> Loaded {
        var loaded = Loaded()
        let decoder = JSONDecoder()
        if let bytes = try FileIO.readAll(directory + "/" + name + ".json") {
            loaded.content = try Content.decodeSnapshot(bytes)
            // An older snapshot (a users.json array) has no mark: nothing of a journal is in it.
            // An object's mark must read, or replay could apply lines the snapshot already holds.
            loaded.sequence =
                isJSONArray(bytes)
                ? 0 : try decoder.decode(SnapshotMark.self, from: Data(bytes)).journalSequence ?? 0
            loaded.snapshotBytes = bytes.count
        }
        let snapshotSequence = loaded.sequence
        guard let journal = try FileIO.readAll(directory + "/" + name + ".journal") else { return loaded }
        loaded.journalBytes = journal.count
        for line in journal.split(separator: 0x0A) {
            guard let delta = try? decoder.decode(Content.Delta.self, from: Data(line)) else {
                loaded.skippedLines += 1
                continue
            }
            loaded.sequence = max(loaded.sequence, delta.sequence)
            if delta.sequence > snapshotSequence { loaded.content.apply(delta) }
        }
        return loaded
    }

    private struct SnapshotMark: Decodable {
        var journalSequence: UInt64?
    }
}

/// Whether a JSON document is an array (its first byte past white space is `[`).
func isJSONArray(_ bytes: [UInt8]) -> Bool {
    bytes.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 } == UInt8(ascii: "[")
}
