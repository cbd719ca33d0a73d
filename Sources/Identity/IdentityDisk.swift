import Glibc
import Storage

/// The file operations of the identity service that `Storage.FileIO` and `AtomicFile` do not
/// already provide. Call them only at start-up or on an `IOThread`.
enum IdentityDisk {
    /// `mkdir` with mode 0700: the directory holds the signing key and token hashes.
    static func makePrivateDirectory(_ path: String) throws(StorageError) {
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw .io(operation: "mkdir", path: path, errno: errno)
        }
    }

    /// Writes a secret atomically with mode 0600 from its first byte (`AtomicFile` creates the
    /// temporary file with the final mode, fsyncs it, renames it and fsyncs the directory).
    static func writeSecret(_ bytes: [UInt8], to path: String) throws(StorageError) {
        try AtomicFile.write([bytes], to: path, mode: 0o600)
    }

    /// Renames `from` to `to` durably (the directory is synced), replacing `to`.
    static func move(_ from: String, to: String) throws(StorageError) {
        try FileIO.rename(from, to: to)
        try FileIO.syncDirectory(containing: to)
    }
}
