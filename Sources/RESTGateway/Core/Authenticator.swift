/// Turns a bearer access token into a user. Implemented by the identity service; the gateway's
/// authentication middleware calls it for every `.authenticated` route (and the WebSocket upgrade,
/// which may carry the token as `?token=`).
public protocol Authenticator: Sendable {
    /// Returns the user the token belongs to, or throws a 401 `APIError` (with
    /// `WWW-Authenticate: Bearer`) for a missing, malformed, expired, revoked or forged token.
    func authenticate(bearer token: String) async throws(APIError) -> AuthenticatedUser
}
