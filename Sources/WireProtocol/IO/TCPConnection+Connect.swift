import CTMISystem
import Glibc

extension TCPConnection {
    /// Opens a client connection. The name lookup (if `host` is not numeric) and the connect
    /// handshake both suspend rather than block.
    public static func connect(
        host: String, port: Int, deadline: IODeadline? = nil, poller: Poller = .shared
    ) async throws(StreamError) -> TCPConnection {
        let address = try await SocketAddress.resolve(host, port: port)
        let fd = tmi_socket_nonblocking(address.family)
        guard fd >= 0 else { throw .system(errno) }
        let rc = address.withSockaddr { Glibc.connect(fd, $0, $1) }
        let pending = rc != 0 && errno == EINPROGRESS
        if rc != 0 && !pending {
            let code = errno
            Glibc.close(fd)
            throw .system(code)
        }
        let connection = try TCPConnection(adopting: fd, peer: address.description, poller: poller)
        // A writable wake-up may be spurious (a new registration starts out "ready"), so the
        // handshake is over only once the socket has a peer or reports an error.
        while pending {
            do {
                try await connection.descriptor.wait(for: .write, deadline: deadline)
            } catch {
                connection.close()
                throw error
            }
            var failure: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &failure, &length)
            if failure != 0 {
                connection.close()
                throw .system(failure)
            }
            var peer = sockaddr_storage()
            var peerLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let connected = withUnsafeMutablePointer(to: &peer) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &peerLength) == 0 }
            }
            if connected { break }
        }
        return connection
    }
}
