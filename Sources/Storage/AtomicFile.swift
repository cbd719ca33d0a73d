/// Replacing a whole file so that a crash leaves either the old content or the new, never a mix:
/// write a temporary file in the same directory, fsync it, rename it over the target, and fsync
/// the directory. (`Data.write(options: .atomic)` skips that last fsync, so after a power cut the
/// rename itself may be lost: STYLE.md.) The temporary file is `path + ".tmp"`; one writer per path.
public enum AtomicFile {
    /// Writes `parts`, concatenated, as the new content of `path`. Blocks: call it at start-up
    /// or on an `IOThread`.
    @available(*, noasync, message: "blocks the thread; use write(_:to:on:) from async code")
    public static func write(_ parts: [[UInt8]], to path: String) throws(StorageError) {
        try replace(path, with: parts)
    }

    /// The same on `thread` (or on a short-lived thread when nil), off the cooperative pool.
    public static func write(_ bytes: [UInt8], to path: String, on thread: IOThread? = nil)
        async throws(StorageError)
    {
        try await IOThread.run(on: thread, name: "tmi-atomic-write") { () throws(StorageError) in
            try replace(path, with: [bytes])
        }
    }

    static func temporaryPath(for path: String) -> String { path + ".tmp" }

    static func replace(_ path: String, with parts: [[UInt8]]) throws(StorageError) {
        let temporary = temporaryPath(for: path)
        let fd = try FileIO.openTruncating(temporary)
        do throws(StorageError) {
            for part in parts { try FileIO.writeAll(fd, part, path: temporary) }
            try FileIO.sync(fd, path: temporary)
            FileIO.close(fd)
        } catch {
            FileIO.close(fd)
            try? FileIO.remove(temporary)
            throw error
        }
        do throws(StorageError) {
            try FileIO.rename(temporary, to: path)
        } catch {
            try? FileIO.remove(temporary)
            throw error
        }
        try FileIO.syncDirectory(FileIO.parent(of: path))
    }
}
