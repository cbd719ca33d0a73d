/// Turns a bearer access token into a user. Implemented by the identity service; the gateway's
/// authentication middleware calls it for every `.authenticated` route (and the WebSocket upgrade,
/// which may carry the token as `?token=`).
public protocol Authenticator: Sendable {
    /// Returns the user the token belongs to, or throws a 401 `APIError` (with
    /// `WWW-Authenticate: Bearer`) for a missing, malformed, expired, revoked or forged token.
    ///
    /// Synchronous: it runs on the I/O loop for every authenticated request, so it answers from
    /// memory (the signing keys, the verified-token cache, revocations kept current in the
    /// background). An `async` requirement cost an executor switch per request after the call
    /// through the existential (benchmarks/perf.md, seventh pass) although no implementation ever
    /// suspended.
    func authenticate(bearer token: String) throws(APIError) -> AuthenticatedUser
}
