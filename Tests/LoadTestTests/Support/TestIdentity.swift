import CollabCore
import RESTGateway
import WireProtocol

/// A stand-in for the identity feature with the test provider's login flow: authorize redirects
/// to the callback, the callback answers with a token, the token names `HINT@test.tmi`. Enough
/// to drive the assembled server end to end before (or without) the real identity service.
struct TestIdentity: RouteProvider, Authenticator {
    var routes: [Route] {
        [
            Route("GET", "/oauth2/authorize", access: .open) { ctx in
                let hint = ctx.query["login_hint"] ?? "anonymous"
                var headers = HTTPHeaders()
                headers.set("Location", "/oauth2/callback?code=\(hint)&state=\(ctx.query["state"] ?? "")")
                return .empty(status: 302, headers: headers)
            },
            Route("GET", "/oauth2/callback", access: .open) { ctx in
                .json([
                    "access_token": .string("tok-\(ctx.query["code"] ?? "")"), "refresh_token": "r",
                    "expires_in": 3600, "token_type": "Bearer",
                ])
            },
        ]
    }

    func authenticate(bearer token: String) async throws(APIError) -> AuthenticatedUser {
        guard token.hasPrefix("tok-"), token.count > 4 else { throw APIError.unauthorized("bad token") }
        let hint = String(token.dropFirst(4))
        return AuthenticatedUser(id: "id-\(hint)", email: "\(hint)@test.tmi", name: hint)
    }
}
