import Glibc
import Storage

/// The few blocking file operations the identity service needs beyond `Storage.AtomicFile`:
/// a private directory, reading a whole file, and writing a secret with mode 0600 from the
/// first byte. Call them only at start-up or on an `IOThread`.
enum IdentityDisk {
    /// `mkdir` with mode 0700: the directory holds the signing key and token hashes.
    static func makePrivateDirectory(_ path: String) throws(StorageError) {
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw .io(operation: "mkdir", path: path, errno: errno)
        }
    }

    /// The whole file, or nil when it does not exist.
    static func read(_ path: String) throws(StorageError) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw .io(operation: "open", path: path, errno: errno)
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let n = Glibc.read(fd, &chunk, chunk.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(operation: "read", path: path, errno: errno)
            }
            if n == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<n])
        }
    }

    /// Writes a secret atomically with mode 0600: the temporary file is created with that mode
    /// (O_EXCL, so a leftover or planted file is never reused), fsynced, renamed over `path`, and
    /// the directory fsynced so the rename survives a power cut.
    static func writeSecret(_ bytes: [UInt8], to path: String) throws(StorageError) {
        let temporary = path + ".tmp"
        unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .io(operation: "open", path: temporary, errno: errno) }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                let code = errno
                close(fd)
                unlink(temporary)
                throw .io(operation: "write", path: temporary, errno: code)
            }
            offset += n
        }
        guard fsync(fd) == 0 else {
            let code = errno
            close(fd)
            unlink(temporary)
            throw .io(operation: "fsync", path: temporary, errno: code)
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw .io(operation: "rename", path: path, errno: code)
        }
        try syncDirectory(of: path)
    }

    static func syncDirectory(of path: String) throws(StorageError) {
        let directory: String
        if let slash = path.lastIndex(of: "/") {
            directory = slash == path.startIndex ? "/" : String(path[..<slash])
        } else {
            directory = "."
        }
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .io(operation: "open", path: directory, errno: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw .io(operation: "fsync", path: directory, errno: errno) }
    }
}

extension IdentityDisk {
    /// Renames `from` to `to` durably (the directory is synced), replacing `to`.
    static func move(_ from: String, to: String) throws(StorageError) {
        guard rename(from, to) == 0 else { throw .io(operation: "rename", path: from, errno: errno) }
        try syncDirectory(of: to)
    }
}
