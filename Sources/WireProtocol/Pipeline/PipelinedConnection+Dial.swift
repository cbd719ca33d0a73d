import Glibc

extension PipelinedConnection {
    /// Connects to the server within `deadline` (the connect timeout, which the start-up exchange
    /// that follows shares), failing with the client's `connectionFailed("host:port: reason")`.
    static func dial(host: String, port: Int, deadline: IODeadline) async throws(Failure) -> TCPConnection {
        do {
            return try await TCPConnection.connect(host: host, port: port, deadline: deadline)
        } catch {
            throw .connectionFailed("\(host):\(port): \(error.clientDescription)")
        }
    }
}

extension StreamError {
    /// How a database or cache client's errors word a stream failure.
    var clientDescription: String {
        switch self {
        case .disconnected: "connection reset by the server"
        case .closed: "connection closed"
        case .timedOut: "timed out"
        case .system(let code): String(cString: strerror(code))
        }
    }
}
