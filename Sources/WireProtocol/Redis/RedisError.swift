/// Why a Redis operation failed. Descriptions never contain the password or command arguments.
public enum RedisError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The server answered with an error reply (`-ERR …`, `-WRONGTYPE …`); the connection stays
    /// usable.
    case server(String)
    /// AUTH was refused (`WRONGPASS`, `NOAUTH`, no such user).
    case authentication(String)
    /// No connection could be made (refused, unreachable, startup timed out).
    case connectionFailed(String)
    /// The connection was lost while the command was outstanding; whether it ran is unknown.
    case connectionClosed
    /// The server sent bytes that are not RESP; the connection was closed.
    case protocolViolation(String)
    /// No reply within the command's timeout. Redis has no cancel: the command may still run,
    /// and its late reply is read and dropped.
    case timedOut
    /// The calling task was cancelled (the command may still run).
    case cancelled
    /// The server is unreachable and the client is reconnecting (with backoff).
    case unavailable(String)
    /// A malformed URL or setting.
    case invalidConfiguration(String)
    /// A reply of another shape than the command returns.
    case unexpectedReply(String)
    /// The client was closed.
    case closed

    public var description: String {
        switch self {
        case .server(let message): "Redis error: \(message)"
        case .authentication(let reason): "Redis authentication failed: \(reason)"
        case .connectionFailed(let reason): "cannot connect to Redis: \(reason)"
        case .connectionClosed: "the Redis connection was lost during the command"
        case .protocolViolation(let reason): "Redis protocol violation: \(reason)"
        case .timedOut: "the Redis command timed out"
        case .cancelled: "the Redis command was cancelled"
        case .unavailable(let reason): "Redis is unavailable (reconnecting): \(reason)"
        case .invalidConfiguration(let reason): "invalid Redis configuration: \(reason)"
        case .unexpectedReply(let what): "unexpected Redis reply: \(what)"
        case .closed: "the Redis client is closed"
        }
    }

    /// True when Redis could not be reached or did not answer: callers answering HTTP map these
    /// to 503 and may retry later.
    public var isUnavailable: Bool {
        switch self {
        case .connectionFailed, .connectionClosed, .unavailable, .timedOut, .closed: true
        case .server(let message): message.hasPrefix("LOADING") || message.hasPrefix("BUSY")
        default: false
        }
    }
}
