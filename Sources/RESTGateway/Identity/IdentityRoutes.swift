import CollabCore
import Identity
import WireProtocol

/// The OAuth 2 / OIDC endpoints of `reference/endpoints.md` over an `IdentityService` (module
/// `Identity`). Only routing and mapping live here: parameters are read from the request, the
/// service decides, and its `IdentityError`s become `APIError`s (`Route.mappingIdentityErrors`).
/// Discovery documents are served by `PublicEndpoints`; the JWKS is here because the keys are.
public struct IdentityRoutes: RouteProvider {
    public let service: IdentityService

    public init(service: IdentityService) { self.service = service }

    /// OAuth request bodies are a few hundred bytes.
    static let bodyLimit = 64 * 1024

    public var routes: [Route] {
        let service = self.service
        let limit = Self.bodyLimit
        let routes = [
            Route("GET", "/.well-known/jwks.json", access: .open) { _ in
                var headers = HTTPHeaders()
                headers.set("Cache-Control", "public, max-age=300")
                return .json(service.jsonWebKeySet, headers: headers)
            },
            Route("GET", "/oauth2/providers", access: .open) { _ in .json(service.providerList()) },
            Route("GET", "/oauth2/authorize", access: .open) { context in
                let redirect = try await service.authorize(AuthorizationRequest(query: context.query))
                var response = Self.redirect(redirect.location)
                if let cookie = redirect.bindingCookie {
                    response.headers.add("Set-Cookie", Self.bindingCookie(cookie, service: service))
                }
                return response
            },
            Route("GET", "/oauth2/callback", access: .open) { context in
                let outcome = try await service.callback(
                    code: context.query["code"], state: context.query["state"],
                    providerError: context.query["error"],
                    bindingCookie: Self.cookie(Self.bindingCookieName, in: context.request.headers))
                switch outcome {
                case .redirect(let location): return Self.redirect(location)
                case .tokens(let tokens): return Self.tokens(tokens)
                }
            },
            Route("POST", "/oauth2/token", access: .open, bodyLimit: limit) { context in
                Self.tokens(try await Self.token(context, service: service))
            },
            Route("POST", "/oauth2/refresh", access: .open, bodyLimit: limit) { context in
                let parameters = try OAuthParameters.parse(context)
                guard let refreshToken = parameters["refresh_token"], !refreshToken.isEmpty else {
                    throw APIError.badRequest(
                        "The 'refresh_token' parameter is required", code: "invalid_request")
                }
                return Self.tokens(try await service.refresh(refreshToken) { IdentityError.unauthorized($0) })
            },
            Route("GET", "/oauth2/userinfo", access: .authenticated) { context in
                .json(try await service.userInfo(userID: try context.requireUser().id), headers: Self.noStore)
            },
            Route("POST", "/oauth2/introspect", access: .open, bodyLimit: limit) { context in
                let parameters = try OAuthParameters.parse(context)
                // RFC 7662 §2.1: `token` is REQUIRED.
                guard let token = parameters["token"], !token.isEmpty else {
                    throw APIError.badRequest("The 'token' parameter is required", code: "invalid_request")
                }
                return .json(
                    try await service.introspect(token, hint: parameters["token_type_hint"]),
                    headers: Self.noStore)
            },
            Route("POST", "/oauth2/revoke", access: .authenticated, bodyLimit: limit) { context in
                let caller = try context.requireUser()
                let parameters = OAuthParameters.parseLeniently(context)
                // RFC 7009 `token` (+ hint), or `{refresh_token}`; neither: log out this access token.
                if let token = parameters["token"], !token.isEmpty {
                    try await service.revoke(
                        token: token, hint: parameters["token_type_hint"], callerID: caller.id)
                } else if let refreshToken = parameters["refresh_token"], !refreshToken.isEmpty {
                    try await service.revoke(token: refreshToken, hint: "refresh_token", callerID: caller.id)
                } else if let own = context.accessToken {
                    try await service.revoke(token: own, hint: "access_token", callerID: caller.id)
                }
                return .empty(status: 204)
            },
        ]
        return routes.map { $0.mappingIdentityErrors() }
    }

    /// `POST /oauth2/token`: `authorization_code` (JSON `{code, redirect_uri, state?,
    /// code_verifier?}` or the RFC 6749 §4.1.3 form) or `refresh_token` (§6). Every failure is a
    /// 400 with an RFC 6749 §5.2 error code, as the endpoint list has no 401 for it.
    static func token(_ context: RequestContext, service: IdentityService) async throws -> TokenResponse {
        let p = try OAuthParameters.parse(context)
        let grantType =
            p["grant_type"]
            ?? (p["code"] != nil ? "authorization_code" : p["refresh_token"] != nil ? "refresh_token" : nil)
        switch grantType {
        case "authorization_code":
            guard let code = p["code"], !code.isEmpty else {
                throw APIError.badRequest("The 'code' parameter is required", code: "invalid_request")
            }
            guard let redirectURI = p["redirect_uri"], !redirectURI.isEmpty else {
                throw APIError.badRequest("The 'redirect_uri' parameter is required", code: "invalid_request")
            }
            return try await service.exchange(
                code: code, redirectURI: redirectURI, clientState: p["state"],
                codeVerifier: p["code_verifier"],
                idp: context.query["idp"] ?? p["idp"])
        case "refresh_token":
            guard let refreshToken = p["refresh_token"], !refreshToken.isEmpty else {
                throw APIError.badRequest(
                    "The 'refresh_token' parameter is required", code: "invalid_request")
            }
            return try await service.refresh(refreshToken) {
                IdentityError.badRequest($0, code: "invalid_grant")
            }
        case nil:
            throw APIError.badRequest("The 'grant_type' parameter is required", code: "invalid_request")
        case let other?:
            throw APIError.badRequest(
                "Unsupported grant_type '\(other.prefix(40))'", code: "unsupported_grant_type")
        }
    }

    /// The cookie that ties a login through an external provider to the browser that started it.
    static let bindingCookieName = "tmi_login"

    /// `Set-Cookie` for the login binding (RFC 6265 §4.1): only sent back to the callback, for
    /// the life of a login, invisible to scripts; `SameSite=Lax` still sends it on the
    /// provider's top-level redirect back to us; `Secure` whenever we are served over https.
    static func bindingCookie(_ value: String, service: IdentityService) -> String {
        let secure = service.configuration.publicBaseURL.lowercased().hasPrefix("https://") ? "; Secure" : ""
        return
            "\(bindingCookieName)=\(value); Path=/oauth2/callback; Max-Age=\(service.configuration.authorizationLifetime)"
            + "; HttpOnly; SameSite=Lax\(secure)"
    }

    /// The value of cookie `name` in the request's `Cookie` header(s) (RFC 6265 §5.4).
    static func cookie(_ name: String, in headers: HTTPHeaders) -> String? {
        for header in headers.values("Cookie") {
            for pair in header.split(separator: ";") {
                let trimmed = pair.drop { $0 == " " }
                guard let equals = trimmed.firstIndex(of: "="), trimmed[..<equals] == name else { continue }
                return String(trimmed[trimmed.index(after: equals)...])
            }
        }
        return nil
    }

    /// RFC 6749 §5.1: token responses MUST carry `Cache-Control: no-store` and `Pragma: no-cache`.
    static let noStore: HTTPHeaders = {
        var headers = HTTPHeaders()
        headers.set("Cache-Control", "no-store")
        headers.set("Pragma", "no-cache")
        return headers
    }()

    static func tokens(_ tokens: TokenResponse) -> HTTPResponse { .json(tokens.json, headers: noStore) }

    static func redirect(_ location: String) -> HTTPResponse {
        var headers = noStore
        headers.set("Location", location)
        return .empty(status: 302, headers: headers)
    }
}
