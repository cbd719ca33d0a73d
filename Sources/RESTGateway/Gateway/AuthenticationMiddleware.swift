import Glibc
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
        let user = try authenticate(&context)
        AccessLogNotes.current?.user = user.id
        return try await next(context)
    }

    /// Checks the request's bearer token and puts the user and the token on the context (also
    /// called by the gateway's inline path, which reports the user to the access log itself).
    func authenticate(_ context: inout RequestContext) throws(APIError) -> AuthenticatedUser {
        let token = try Self.token(of: context)
        let user = try authenticator.authenticate(bearer: token)
        context.user = user
        context.accessToken = token
        return user
    }

    /// The bearer token of the request, or a 401.
    static func token(of context: RequestContext) throws(APIError) -> String {
        if let header = context.request.headers["Authorization"] {
            // RFC 6750 §2.1: `Bearer 1*SP b64token`; the scheme is case-insensitive (RFC 9110 §11.1).
            // Parsed on UTF-8 bytes: Character-wise scanning of a long token costs more than the
            // rest of a small read (benchmarks/rest.md).
            // The header string's own bytes when contiguous (always, for a parsed header): no
            // copy of the ~1 KB token but the one into the returned string.
            let parsed =
                header.utf8.withContiguousStorageIfAvailable { Self.bearerToken(in: $0) }
                ?? Array(header.utf8).withUnsafeBufferPointer { Self.bearerToken(in: $0) }
            switch parsed {
            case .token(let token): return token
            case .wrongScheme: throw invalidToken("the Authorization header must be 'Bearer <token>'")
            case .malformed: throw invalidToken("the bearer token is malformed")
            }
        }
        if context.request.path.hasSuffix("/ws"), let token = context.query["token"], !token.isEmpty {
            return token
        }
        throw missingToken()
    }

    private enum ParsedAuthorization {
        case token(String)
        case wrongScheme
        case malformed
    }

    /// `Bearer 1*SP token` with blanks around the token trimmed, from the header's bytes.
    private static func bearerToken(in bytes: UnsafeBufferPointer<UInt8>) -> ParsedAuthorization {
        let isBlank = { (b: UInt8) in b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") }
        guard let space = bytes.firstIndex(of: UInt8(ascii: " ")),
            String(decoding: UnsafeBufferPointer(rebasing: bytes[..<space]), as: UTF8.self)
                .equalsIgnoringASCIICase("Bearer")
        else { return .wrongScheme }
        var start = space + 1
        var end = bytes.count
        while start < end, isBlank(bytes[start]) { start += 1 }
        while end > start, isBlank(bytes[end - 1]) { end -= 1 }
        guard start < end else { return .malformed }
        if let base = bytes.baseAddress, memchr(base + start, Int32(UInt8(ascii: " ")), end - start) != nil {
            return .malformed
        }
        return .token(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self))
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
