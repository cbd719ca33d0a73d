import CTMISystem
import Glibc

/// The two socket operations `TLSConnection` needs beyond the `ByteStream` ones.
extension TCPConnection {
    /// Reads what is available, up to `maxCount` bytes, into a fresh array; empty at end of
    /// stream. The array exists only while bytes are being read: while the connection waits for
    /// data it holds no buffer, which keeps idle TLS connections small.
    func readChunk(maxCount: Int, deadline: IODeadline?) async throws(StreamError) -> [UInt8] {
        while true {
            var code: Int32 = 0
            let chunk = try descriptor.withDescriptor { fd in
                [UInt8](unsafeUninitializedCapacity: maxCount) { buffer, count in
                    let n = Glibc.read(fd, buffer.baseAddress, maxCount)
                    count = max(0, n)
                    code = n < 0 ? errno : 0
                }
            }
            if code == 0 { return chunk }
            switch code {
            case EAGAIN, EWOULDBLOCK: try await descriptor.wait(for: .read, deadline: deadline)
            case EINTR: continue
            default: throw .fromErrno(code)
            }
        }
    }

    /// One non-blocking send of as much of `bytes` as the socket takes now; for a best-effort
    /// goodbye (a TLS close_notify) from a synchronous `close()`.
    func sendNow(_ bytes: [UInt8]) {
        _ = try? descriptor.withDescriptor { fd in
            bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
        }
    }
}
