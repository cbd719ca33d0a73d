import WireProtocol

/// A refusal the identity service explains to the client: an HTTP status, an OAuth-style error
/// code and a description (`{error, error_description}`), plus headers such as the RFC 6750
/// `WWW-Authenticate` challenge. The module sits below the gateway and cannot see its `APIError`;
/// the gateway maps one onto the other unchanged. Any other error thrown by the service (storage,
/// OpenSSL) is an internal failure the gateway answers with a bare 500.
public struct IdentityError: Error, Sendable {
    public var status: Int
    public var code: String
    public var description: String
    public var headers: HTTPHeaders

    public init(status: Int, code: String, description: String, headers: HTTPHeaders = HTTPHeaders()) {
        self.status = status
        self.code = code
        self.description = description
        self.headers = headers
    }

    public static func badRequest(_ d: String, code: String = "invalid_input") -> IdentityError {
        IdentityError(status: 400, code: code, description: d)
    }

    /// 401 with the bearer challenge every refused token carries (RFC 6750 §3).
    public static func unauthorized(_ d: String) -> IdentityError {
        var h = HTTPHeaders()
        h.add("WWW-Authenticate", "Bearer realm=\"tmi\", error=\"invalid_token\"")
        return IdentityError(status: 401, code: "unauthorized", description: d, headers: h)
    }
}

/// An identity setting the server cannot start with; `message` is the one line for the operator.
public struct IdentityConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
