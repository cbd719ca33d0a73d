import WireProtocol

/// Why a directory operation failed.
public enum ClusterDirectoryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Redis is down, unreachable or did not answer in time: the gateway answers 503.
    case unavailable(String)
    /// Another live node registered this node id; this one must not start (exit 2).
    case duplicateNode(id: String, advertiseURL: String)
    /// A bad node id, advertise URL or setting.
    case invalidConfiguration(String)
    /// `start` was not called, or `stop` was.
    case notRunning
    /// Redis answered something the directory's scripts never return.
    case unexpectedReply(String)

    public var description: String {
        switch self {
        case .unavailable(let reason): "the cluster directory (Redis) is unavailable: \(reason)"
        case .duplicateNode(let id, let url):
            "node id '\(id)' is already in use by a live node advertising \(url); give each node its own --node-id"
        case .invalidConfiguration(let reason): "invalid cluster configuration: \(reason)"
        case .notRunning: "the cluster directory is not running"
        case .unexpectedReply(let what): "unexpected reply from the cluster directory: \(what)"
        }
    }

    /// True for Redis being unreachable (503 and retry later).
    public var isUnavailable: Bool {
        if case .unavailable = self { return true }
        return false
    }

    init(_ error: RedisError) {
        if error.isUnavailable {
            self = .unavailable(error.description)
        } else if case .unexpectedReply(let what) = error {
            self = .unexpectedReply(what)
        } else {
            self = .unavailable(error.description)
        }
    }
}
