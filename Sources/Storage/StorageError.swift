#if canImport(Glibc)
    import Glibc
#endif

/// Every failure the storage layer reports. Callers map these to a response in one place: a full
/// disk (`isDiskFull`) or an unusable journal is a 503 ("try later"), anything else a 500. Nothing in
/// this module traps on an I/O failure: the error carries the file path and the system's reason.
public enum StorageError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A system call failed. `operation` names it (`write`, `fdatasync`, `open`, ...).
    case io(operation: String, path: String, errno: Int32)
    /// A file's content is damaged where damage cannot come from a crash: data that was
    /// acknowledged is unreadable, so recovery refuses to guess. `offset` is a byte offset.
    case corrupt(path: String, offset: Int, reason: String)
    /// A record longer than `StorageOptions.maxRecordBytes`.
    case recordTooLarge(size: Int, limit: Int)
    /// Records are lines: a record may not contain a newline byte (serialize JSON compactly).
    case recordContainsNewline
    /// An earlier write or fsync failed, so nothing after it can be made durable until the owner
    /// resumes the journal (`Journal.resumeAfterFailure`) or closes and opens it again. The state
    /// on disk is intact up to the last acknowledged record.
    indirect case unusable(path: String, cause: StorageError)
    /// The journal or log was closed.
    case closed(path: String)
    /// A caller passed something this API cannot honour (a ticket never issued, a bad name...).
    case invalidArgument(String)

    /// True when the disk (or the user's quota) is full: the caller should answer "try later".
    public var isDiskFull: Bool {
        switch self {
        case .io(_, _, let code): code == ENOSPC || code == EDQUOT
        case .unusable(_, let cause): cause.isDiskFull
        default: false
        }
    }

    public var description: String {
        switch self {
        case .io(let operation, let path, let code):
            "\(operation) \(path) failed: \(StorageError.message(for: code)) (errno \(code))"
        case .corrupt(let path, let offset, let reason):
            "\(path) is damaged at byte \(offset): \(reason)"
        case .recordTooLarge(let size, let limit):
            "record of \(size) bytes exceeds the limit of \(limit) bytes"
        case .recordContainsNewline:
            "record contains a newline byte; journal records are single lines"
        case .unusable(let path, let cause):
            "journal \(path) is unusable after an earlier failure (\(cause)); reopen it to continue"
        case .closed(let path):
            "\(path) is closed"
        case .invalidArgument(let reason):
            reason
        }
    }

    static func message(for code: Int32) -> String {
        guard let text = strerror(code) else { return "unknown error" }
        return String(cString: text)
    }

    /// The error for the system call that just failed; reads `errno` at once.
    static func lastIO(_ operation: String, _ path: String) -> StorageError {
        .io(operation: operation, path: path, errno: errno)
    }
}
