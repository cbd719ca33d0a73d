import Storage
import Synchronization

/// One JSON file of the identity service, replaced atomically (temp file, fsync, rename, fsync
/// directory: `Storage.AtomicFile`) on the service's I/O thread.
///
/// Callers `stage` the new content while still holding the lock under which they changed the
/// state, so staged versions follow the order of the changes; then they `flush` and wait. A flush
/// always writes the newest staged content, so a flush that runs late never puts an older state
/// back on disk, and a burst of changes costs one write. When `flush` returns, the caller's
/// change (and everything staged before it) is on disk: durable before the response.
final class IdentityFile: Sendable {
    let path: String
    private let io: IOThread

    private struct Staging {
        var bytes: [UInt8]? = nil
        var staged: UInt64 = 0
        var written: UInt64 = 0
    }
    private let staging = Mutex(Staging())

    init(path: String, io: IOThread) {
        self.path = path
        self.io = io
    }

    func stage(_ bytes: [UInt8]) {
        staging.withLock {
            $0.bytes = bytes
            $0.staged += 1
        }
    }

    /// Makes everything staged so far durable. Throws when the write fails; the content stays
    /// staged, so the next flush tries again.
    func flush() async throws(StorageError) {
        let path = self.path
        try await io.run { [self] () throws(StorageError) in
            let pending = self.staging.withLock { s -> (bytes: [UInt8], version: UInt64)? in
                guard s.staged > s.written, let bytes = s.bytes else { return nil }
                return (bytes, s.staged)
            }
            guard let pending else { return }
            try AtomicFile.write([pending.bytes], to: path)
            self.staging.withLock { $0.written = max($0.written, pending.version) }
        }
    }

    /// The file's content, or nil if it does not exist yet. Blocking: start-up, on the I/O thread.
    static func read(_ path: String) throws(StorageError) -> [UInt8]? {
        try IdentityDisk.read(path)
    }
}
