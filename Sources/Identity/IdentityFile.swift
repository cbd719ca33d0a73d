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
///
/// What is staged is a rendering of a copy of the state (a value, so the copy is free), run by
/// the flush on the I/O thread: encoding a large file under the service's lock held every
/// token check on the I/O loops waiting behind each login (with 3,000 live sessions, a login
/// took the lock for ~50 ms, and authenticated reads fell from 74,000 to 3,500 per second while
/// logins ran: benchmarks/perf.md, "Fifth pass").
final class IdentityFile: Sendable {
    typealias Rendering = @Sendable () throws -> [UInt8]
    let path: String
    private let io: IOThread

    private struct Staging {
        var render: Rendering? = nil
        var staged: UInt64 = 0
        var written: UInt64 = 0
    }
    private let staging = Mutex(Staging())

    init(path: String, io: IOThread) {
        self.path = path
        self.io = io
    }

    /// Stages the content `render` will produce; it runs later, on the I/O thread, at most once
    /// (and not at all when a newer rendering is staged before the flush gets to it).
    func stage(_ render: @escaping Rendering) {
        staging.withLock {
            $0.render = render
            $0.staged += 1
        }
    }

    /// Makes everything staged so far durable. Throws when the write fails; the content stays
    /// staged, so the next flush tries again.
    func flush() async throws(StorageError) {
        let path = self.path
        try await io.run { [self] () throws(StorageError) in
            let pending = self.staging.withLock { s -> (render: Rendering, version: UInt64)? in
                guard s.staged > s.written, let render = s.render else { return nil }
                return (render, s.staged)
            }
            guard let pending else { return }
            let bytes: [UInt8]
            do {
                bytes = try pending.render()
            } catch {
                throw StorageError.invalidArgument("cannot encode \(path): \(error)")
            }
            try AtomicFile.write([bytes], to: path)
            self.staging.withLock { $0.written = max($0.written, pending.version) }
        }
    }

    /// The file's content, or nil if it does not exist yet. Blocking: start-up, on the I/O thread.
    static func read(_ path: String) throws(StorageError) -> [UInt8]? {
        try IdentityDisk.read(path)
    }
}
