#if canImport(Glibc)
    import Glibc
#endif

/// Thin wrappers over the POSIX file calls this module needs, each turning a failure into a
/// `StorageError` that names the call and the path. All of them block: call them only on an
/// `IOThread` (or at start-up), never on the cooperative pool.
public enum FileIO {
    /// Opens (creating if needed) a file for appending.
    static func openForAppend(_ path: String, exclusive: Bool = false) throws(StorageError) -> Int32 {
        let flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (exclusive ? O_EXCL : 0)
        let fd = retryingEINTR { open(path, flags, 0o644) }
        guard fd >= 0 else { throw .lastIO("open", path) }
        return fd
    }

    /// Opens (creating or truncating) a file for writing from the start.
    static func openTruncating(_ path: String) throws(StorageError) -> Int32 {
        let fd = retryingEINTR { open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) }
        guard fd >= 0 else { throw .lastIO("open", path) }
        return fd
    }

    /// Creates a file that must not exist yet (`O_EXCL`: never an existing file or a link's
    /// target), for writing, with permissions `mode`.
    static func createNew(_ path: String, mode: UInt32) throws(StorageError) -> Int32 {
        let fd = retryingEINTR { open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode) }
        guard fd >= 0 else { throw .lastIO("open", path) }
        return fd
    }

    /// The whole file, or nil if it does not exist.
    public static func readAll(_ path: String) throws(StorageError) -> [UInt8]? {
        let fd = retryingEINTR { open(path, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw .lastIO("open", path)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .lastIO("fstat", path) }
        var bytes = [UInt8]()
        var capacity = max(Int(info.st_size), 0) + 1
        var count = 0
        while true {
            if count == bytes.count {
                bytes.append(contentsOf: repeatElement(0, count: max(capacity - bytes.count, 4096)))
                capacity = bytes.count * 2
            }
            let n = bytes.withUnsafeMutableBytes { buf in
                read(fd, buf.baseAddress! + count, buf.count - count)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw .lastIO("read", path)
            }
            if n == 0 { break }
            count += n
        }
        bytes.removeLast(bytes.count - count)
        return bytes
    }

    /// Writes every byte, looping over short writes and EINTR.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(StorageError) {
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw .lastIO("write", path)
            }
            offset += n
        }
    }

    public static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(StorageError) {
        try bytes.withUnsafeBytes { buf in
            Result { () throws(StorageError) in try writeAll(fd, buf, path: path) }
        }.get()
    }

    /// `fdatasync`: the data and the size, enough to read the file back after a crash.
    static func syncData(_ fd: Int32, path: String) throws(StorageError) {
        guard retryingEINTR({ fdatasync(fd) }) == 0 else { throw .lastIO("fdatasync", path) }
    }

    /// `fsync`: data and every piece of metadata.
    public static func sync(_ fd: Int32, path: String) throws(StorageError) {
        guard retryingEINTR({ fsync(fd) }) == 0 else { throw .lastIO("fsync", path) }
    }

    static func truncate(_ fd: Int32, to length: Int, path: String) throws(StorageError) {
        guard retryingEINTR({ ftruncate(fd, off_t(length)) }) == 0 else { throw .lastIO("ftruncate", path) }
    }

    static func size(_ fd: Int32, path: String) throws(StorageError) -> Int {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .lastIO("fstat", path) }
        return Int(info.st_size)
    }

    static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    /// Makes a new, renamed or removed directory entry durable: POSIX gives no such guarantee for
    /// an entry until its directory itself is fsynced.
    public static func syncDirectory(_ path: String) throws(StorageError) {
        let fd = retryingEINTR { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard fd >= 0 else { throw .lastIO("open", path) }
        defer { close(fd) }
        try sync(fd, path: path)
    }

    /// `syncDirectory` of the directory holding `path`: makes `path`'s own entry durable.
    public static func syncDirectory(containing path: String) throws(StorageError) {
        try syncDirectory(parent(of: path))
    }

    public static func rename(_ from: String, to: String) throws(StorageError) {
        guard Glibc.rename(from, to) == 0 else { throw .lastIO("rename to \(to)", from) }
    }

    /// Removes a file; a file that is already gone is not an error.
    static func remove(_ path: String) throws(StorageError) {
        guard unlink(path) == 0 || errno == ENOENT else { throw .lastIO("unlink", path) }
    }

    /// Creates `path` and any missing parents (mode 0755), fsyncing the parent of each directory
    /// it creates so the new directory survives a crash along with what is later written in it.
    static func makeDirectories(_ path: String) throws(StorageError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/") {
            let parent = prefix.isEmpty ? "." : prefix
            prefix += prefix.isEmpty || prefix.hasSuffix("/") ? String(part) : "/" + part
            if mkdir(prefix, 0o755) == 0 {
                try syncDirectory(parent)
            } else if errno != EEXIST {
                throw .lastIO("mkdir", prefix)
            }
        }
        var info = stat()
        guard stat(path, &info) == 0 else { throw .lastIO("stat", path) }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw .io(operation: "mkdir", path: path, errno: ENOTDIR)
        }
    }

    /// Names of the entries of a directory (without `.` and `..`).
    static func list(_ path: String) throws(StorageError) -> [String] {
        guard let dir = opendir(path) else { throw .lastIO("opendir", path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    private static func retryingEINTR<T: BinaryInteger>(_ call: () -> T) -> T {
        while true {
            let result = call()
            if result >= 0 || errno != EINTR { return result }
        }
    }
}

extension FileIO {
    /// The directory part of a path ("." for a bare name).
    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
