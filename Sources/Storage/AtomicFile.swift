/// Replacing a whole file so that a crash leaves either the old content or the new, never a mix:
/// write a temporary file in the same directory, fsync it, rename it over the target, and fsync
/// the directory. (`Data.write(options: .atomic)` skips that last fsync, so after a power cut the
/// rename itself may be lost: STYLE.md.) The temporary file is `path + ".tmp"`; one writer per path.
///
/// The temporary file is always created new (`O_EXCL`, after removing a leftover one) with the
/// final mode, so a secret written with mode 0600 is never readable by others for a moment, and
/// a file or link planted at the temporary path is never written through.
public enum AtomicFile {
    /// Writes `parts`, concatenated, as the new content of `path`, with permissions `mode`.
    /// Blocks: call it at start-up or on an `IOThread`.
    @available(*, noasync, message: "blocks the thread; use write(_:to:on:) from async code")
    public static func write(_ parts: [[UInt8]], to path: String, mode: UInt32 = 0o644) throws(StorageError) {
        try replace(path, with: parts, mode: mode)
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

    /// `writeAll` is `FileIO.writeAll` except in tests, which make it fail as a full disk would
    /// (the temporary file is created new, so it cannot be pointed at `/dev/full`).
    static func replace(
        _ path: String, with parts: [[UInt8]], mode: UInt32 = 0o644,
        writeAll: (Int32, [UInt8], String) throws(StorageError) -> Void = {
            fd, bytes, path throws(StorageError) in
            try FileIO.writeAll(fd, bytes, path: path)
        }
    ) throws(StorageError) {
        let temporary = temporaryPath(for: path)
        try FileIO.remove(temporary)
        let fd = try FileIO.createNew(temporary, mode: mode)
        do throws(StorageError) {
            for part in parts { try writeAll(fd, part, temporary) }
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
        try FileIO.syncDirectory(containing: path)
    }
}
