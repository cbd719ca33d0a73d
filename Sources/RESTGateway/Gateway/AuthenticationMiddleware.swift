import WireProtocol

/// Runs before every `.authenticated` route: turns `Authorization: Bearer <token>` into a user on
/// the context via the `Authenticator`.
///
/// Browsers cannot set headers on a WebSocket handshake, so on paths ending in `/ws` (the upgrade)
/// the token may instead come as `?token=`; nowhere else, because query strings end up in logs and
/// browser history (RFC 6750 §2.3 and §5.3 discourage it).
public struct AuthenticationMiddleware: Middleware {
    let authenticator: any Authenticator

    public init(authenticator: any Authenticator) {
        self.authenticator = authenticator
    }

    public func handle(_ context: RequestContext, next: RequestResponder) async throws -> HTTPResponse {
        var context = context
        let token = try Self.token(of: context)
        let user = try await authenticator.authenticate(bearer: token)
        context.user = user
        context.accessToken = token
        AccessLogNotes.current?.user = user.id
        return try await next(context)
    }

    /// The bearer token of the request, or a 401.
    static func token(of context: RequestContext) throws(APIError) -> String {
        if let header = context.request.headers["Authorization"] {
            // RFC 6750 §2.1: `Bearer 1*SP b64token`; the scheme is case-insensitive (RFC 9110 §11.1).
            // Parsed on UTF-8 bytes: Character-wise scanning of a long token costs more than the
            // rest of a small read (benchmarks/rest.md).
            let bytes = Array(header.utf8)
            let isBlank = { (b: UInt8) in b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") }
            guard let space = bytes.firstIndex(of: UInt8(ascii: " ")),
                String(decoding: bytes[..<space], as: UTF8.self).equalsIgnoringASCIICase("Bearer")
            else {
                throw invalidToken("the Authorization header must be 'Bearer <token>'")
            }
            var token = bytes[(space + 1)...]
            while let b = token.first, isBlank(b) { token = token.dropFirst() }
            while let b = token.last, isBlank(b) { token = token.dropLast() }
            guard !token.isEmpty, !token.contains(UInt8(ascii: " ")) else {
                throw invalidToken("the bearer token is malformed")
            }
            return String(decoding: token, as: UTF8.self)
        }
        if context.request.path.hasSuffix("/ws"), let token = context.query["token"], !token.isEmpty {
            return token
        }
        throw missingToken()
    }

    /// RFC 6750 §3.1: a request without credentials gets a bare challenge, no error code.
    static func missingToken() -> APIError {
        var error = APIError.unauthorized("Authentication required: send 'Authorization: Bearer <token>'")
        error.headers.set("WWW-Authenticate", "Bearer realm=\"tmi\"")
        return error
    }

    static func invalidToken(_ description: String) -> APIError {
        APIError.unauthorized(description)
    }
}
