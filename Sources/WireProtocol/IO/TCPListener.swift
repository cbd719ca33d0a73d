import CTMISystem
import Glibc

/// A listening TCP socket whose `accept` suspends instead of blocking.
public final class TCPListener: Sendable {
    let descriptor: PolledDescriptor
    /// The bound port (the kernel's choice when 0 was asked for).
    public let port: Int
    public let host: String

    private init(descriptor: PolledDescriptor, host: String, port: Int) {
        self.descriptor = descriptor
        self.host = host
        self.port = port
    }

    /// Binds and listens. Port 0 picks a free port, readable back from `port`.
    public static func bind(
        host: String, port: Int, backlog: Int32 = 1024, poller: Poller = .shared
    ) async throws(StreamError) -> TCPListener {
        let address = try await SocketAddress.resolve(host, port: port)
        let fd = tmi_socket_nonblocking(address.family)
        guard fd >= 0 else { throw .system(errno) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = address.withSockaddr { Glibc.bind(fd, $0, $1) }
        if bound != 0 || listen(fd, backlog) != 0 {
            let code = errno
            Glibc.close(fd)
            throw .system(code)
        }
        var actual = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let boundPort = SocketAddress(storage: actual, length: length).port
        let descriptor = try PolledDescriptor(adopting: fd, poller: poller)
        return TCPListener(descriptor: descriptor, host: host, port: boundPort)
    }

    /// Waits for the next connection, registered with `loop` (by default the listener's own).
    /// Fails with `.closed` once the listener is closed.
    ///
    /// `connectionObservesCancellation: false` makes the accepted connection's waits ignore task
    /// cancellation (for a server, whose connection tasks are ended by closing their sockets);
    /// the accept itself always ends when its task is cancelled.
    public func accept(on loop: Poller? = nil, connectionObservesCancellation: Bool = true)
        async throws(StreamError) -> TCPConnection
    {
        while true {
            var peer = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = try descriptor.withDescriptor { fd in
                withUnsafeMutablePointer(to: &peer) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        tmi_accept_nonblocking(fd, $0, &length)
                    }
                }
            }
            if fd >= 0 {
                let description = SocketAddress(storage: peer, length: length).description
                do {
                    return try TCPConnection(
                        adopting: fd, peer: description, poller: loop ?? descriptor.poller,
                        observesCancellation: connectionObservesCancellation)
                } catch {
                    continue
                }
            }
            let code = errno
            switch code {
            case EAGAIN, EWOULDBLOCK: try await descriptor.wait(for: .read, deadline: nil)
            case EINTR, ECONNABORTED, EPROTO: continue
            case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                // Out of descriptors: the pending connection stays queued and no new edge would
                // come for it, so back off briefly and retry instead of spinning or stalling.
                do {
                    try await descriptor.wait(for: .read, deadline: .after(.milliseconds(50)))
                } catch .timedOut {
                    continue
                }
            default: throw .fromErrno(code)
            }
        }
    }

    /// Stops accepting; a pending `accept` fails with `.closed`.
    public func close() { descriptor.close() }
}
