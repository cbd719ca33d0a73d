/// Why a PostgreSQL operation failed. Descriptions never contain the password, and name the
/// problem in words an operator can act on ("authentication failed", "connection refused").
public enum PostgresError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The server answered with an ErrorResponse; the connection stays usable.
    case server(PostgresServerError)
    /// The server refused the login (wrong password, unknown role, no pg_hba entry), or its
    /// authentication exchange could not be verified.
    case authentication(String)
    /// No connection could be made (refused, unreachable, name lookup failed, startup timed out).
    case connectionFailed(String)
    /// The connection was lost while the request was outstanding; whether a write committed
    /// is unknown.
    case connectionClosed
    /// The server sent something the protocol does not allow; the connection was closed.
    case protocolViolation(String)
    /// The query did not finish within its timeout; a CancelRequest was sent.
    case timedOut
    /// The calling task was cancelled; a CancelRequest was sent.
    case cancelled
    /// No pooled connection became free within the pool's acquire timeout.
    case poolTimeout
    /// The server is unreachable and the pool is waiting to reconnect (with backoff).
    case unavailable(String)
    /// A COMMIT reported ROLLBACK: the transaction had already failed, nothing was written.
    case transactionRolledBack
    /// A malformed URL or setting.
    case invalidConfiguration(String)
    /// A feature the client does not implement (e.g. Kerberos, COPY).
    case unsupported(String)
    /// A query the client refuses to send (a NUL byte in the SQL, too many parameters).
    case invalidQuery(String)
    /// A missing column or a value of another type than asked for.
    case decoding(String)
    /// The client was closed.
    case closed

    public var description: String {
        switch self {
        case .server(let e): e.description
        case .authentication(let reason): "PostgreSQL authentication failed: \(reason)"
        case .connectionFailed(let reason): "cannot connect to PostgreSQL: \(reason)"
        case .connectionClosed: "the PostgreSQL connection was lost during the request"
        case .protocolViolation(let reason): "PostgreSQL protocol violation: \(reason)"
        case .timedOut: "the PostgreSQL query timed out and was cancelled"
        case .cancelled: "the PostgreSQL query was cancelled"
        case .poolTimeout: "no PostgreSQL connection became free in time"
        case .unavailable(let reason): "PostgreSQL is unavailable (reconnecting): \(reason)"
        case .transactionRolledBack: "the PostgreSQL transaction was rolled back"
        case .invalidConfiguration(let reason): "invalid PostgreSQL configuration: \(reason)"
        case .unsupported(let what): "not supported by the PostgreSQL client: \(what)"
        case .invalidQuery(let reason): "invalid query: \(reason)"
        case .decoding(let reason): "cannot decode PostgreSQL value: \(reason)"
        case .closed: "the PostgreSQL client is closed"
        }
    }

    /// The SQLSTATE when the server reported the error.
    public var sqlState: String? {
        if case .server(let e) = self { return e.sqlState }
        return nil
    }

    /// True when the database could not be reached or the connection broke: a caller answering
    /// HTTP maps these to 503 and may retry later.
    public var isUnavailable: Bool {
        switch self {
        case .connectionFailed, .connectionClosed, .unavailable, .poolTimeout, .closed: true
        case .server(let e): e.sqlState.hasPrefix("08") || e.sqlState.hasPrefix("57P")
        default: false
        }
    }
}

/// The fields of a server ErrorResponse ("Error and Notice Message Fields").
public struct PostgresServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// ERROR, FATAL or PANIC (the non-localized 'V' field when present).
    public var severity: String
    /// Five-character SQLSTATE, e.g. "23505" unique_violation.
    public var sqlState: String
    public var message: String
    public var detail: String?
    public var hint: String?
    public var constraint: String?
    public var table: String?
    public var column: String?
    public var schema: String?
    /// All fields by code, for anything not named above.
    public var fields: PostgresErrorFields

    public init(_ fields: PostgresErrorFields) {
        self.fields = fields
        self.severity = fields["V"] ?? fields["S"] ?? "ERROR"
        self.sqlState = fields["C"] ?? "XX000"
        self.message = fields["M"] ?? "(no message)"
        self.detail = fields["D"]
        self.hint = fields["H"]
        self.constraint = fields["n"]
        self.table = fields["t"]
        self.column = fields["c"]
        self.schema = fields["s"]
    }

    public var description: String {
        var text = "PostgreSQL \(severity) \(sqlState): \(message)"
        if let detail { text += " (\(detail))" }
        if let constraint { text += " [constraint \(constraint)]" }
        return text
    }

    /// SQLSTATE 23505.
    public var isUniqueViolation: Bool { sqlState == "23505" }
}
