import CTMISystem
import Glibc
import Synchronization

/// A descriptor someone else reads (the process's standard error: a file, a pipe to a log
/// collector, journald's socket, a terminal), written without ever waiting for that reader, so
/// that an I/O loop can write its own log lines instead of waking a writer thread for them.
///
/// On this project's virtual machines each switch to a thread woken for a batch of lines cost
/// about 25 µs of the core, and the access log's writer thread with its timer cost the whole
/// server about 5 % of its request rate (benchmarks/perf.md, twelfth pass). What a descriptor
/// cannot take now is left to the caller, who hands it to a thread that may wait.
///
/// How each kind is written, decided once from `fstat`:
/// - a regular file: `write`. It never waits for a reader; like nginx's access log, it may wait
///   for the disk.
/// - a socket: `send` with `MSG_DONTWAIT`, which leaves the descriptor's own flags alone.
/// - anything else (a pipe, `/dev/null`, a terminal): `pwritev2` with `RWF_NOWAIT`, which
///   answers `EAGAIN` instead of waiting. Where the kernel or the file cannot (`EOPNOTSUPP`; a
///   terminal, or a pipe on an older kernel), nothing is ever written here again and every write
///   goes to the waiting thread.
/// Setting `O_NONBLOCK` on the descriptor instead would change it for every process that shares
/// it (a shell's terminal, the other end of a pipeline).
public final class NonWaitingOutput: Sendable {
    public enum Kind: Sendable, Equatable {
        case file, socket, other
    }

    public let descriptor: Int32
    public let kind: Kind
    /// Set once `RWF_NOWAIT` was refused: from then on nothing is written without waiting.
    private let refused = Atomic<Bool>(false)

    public init(descriptor: Int32) {
        self.descriptor = descriptor
        var status = stat()
        if fstat(descriptor, &status) != 0 {
            kind = .other
        } else {
            switch status.st_mode & S_IFMT {
            case S_IFREG: kind = .file
            case S_IFSOCK: kind = .socket
            default: kind = .other
            }
        }
    }

    /// Whether `write(_:)` can still write anything (false once the descriptor refused to
    /// answer without waiting).
    public var canWriteWithoutWaiting: Bool { !refused.load(ordering: .relaxed) }

    /// Writes as much of `bytes` as the descriptor takes now and returns how many bytes are left
    /// for a thread that may wait (0: all written). A broken or closed output drops the bytes and
    /// answers 0, as a writer that waits would have to.
    public func write(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return 0 }
        if refused.load(ordering: .relaxed) { return bytes.count }
        var offset = 0
        while offset < bytes.count {
            let n = writeOnce(base + offset, bytes.count - offset)
            if n > 0 {
                offset += n
                continue
            }
            let code = n < 0 ? tmi_errno() : EIO
            switch code {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return bytes.count - offset
            case EOPNOTSUPP, EINVAL, ENOSYS:
                // From `pwritev2`: this file or kernel cannot write without waiting.
                guard kind == .other else { return 0 }
                refused.store(true, ordering: .relaxed)
                return bytes.count - offset
            default: return 0  // a closed or broken output: drop, do not spin
            }
        }
        return 0
    }

    private func writeOnce(_ start: UnsafeRawPointer, _ count: Int) -> Int {
        switch kind {
        case .file: Glibc.write(descriptor, start, count)
        case .socket: send(descriptor, start, count, Int32(MSG_DONTWAIT) | Int32(MSG_NOSIGNAL))
        case .other: tmi_write_nowait(descriptor, start, UInt(count))
        }
    }
}
