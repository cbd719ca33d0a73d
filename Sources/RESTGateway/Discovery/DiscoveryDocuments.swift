import CollabCore

/// Authorization-server metadata (RFC 8414) and OpenID Connect discovery (OIDC Discovery 1.0
/// §3), computed from the public base URL so that `--port 0` and `--public-url` both advertise
/// endpoints a client can reach.
public enum DiscoveryDocuments {
    /// Scopes and claims the identity service issues.
    static let scopes: [JSONValue] = ["openid", "email", "profile"]
    static let claims: [JSONValue] = ["sub", "email", "email_verified", "name", "iss", "aud", "iat", "exp"]

    /// `GET /.well-known/oauth-authorization-server`.
    public static func authorizationServerMetadata(baseURL: String) -> JSONValue {
        var document = common(baseURL: baseURL)
        document["token_endpoint_auth_methods_supported"] = ["none"]
        document["revocation_endpoint_auth_methods_supported"] = ["none"]
        document["introspection_endpoint_auth_methods_supported"] = ["none"]
        return .object(document)
    }

    /// `GET /.well-known/openid-configuration`.
    public static func openIDConfiguration(baseURL: String, signingAlgorithm: String = "RS256") -> JSONValue {
        var document = common(baseURL: baseURL)
        document["userinfo_endpoint"] = .string(baseURL + "/oauth2/userinfo")
        document["subject_types_supported"] = ["public"]
        document["id_token_signing_alg_values_supported"] = [.string(signingAlgorithm)]
        document["claims_supported"] = .array(claims)
        document["token_endpoint_auth_methods_supported"] = ["none"]
        return .object(document)
    }

    /// Fields both documents share. RFC 8414 §2: `issuer` is the base URL with no query or
    /// fragment; `response_types_supported` is REQUIRED; only the code flow, with PKCE S256
    /// (RFC 7636 §4.2), is offered.
    private static func common(baseURL: String) -> [String: JSONValue] {
        [
            "issuer": .string(baseURL),
            "authorization_endpoint": .string(baseURL + "/oauth2/authorize"),
            "token_endpoint": .string(baseURL + "/oauth2/token"),
            "jwks_uri": .string(baseURL + "/.well-known/jwks.json"),
            "introspection_endpoint": .string(baseURL + "/oauth2/introspect"),
            "revocation_endpoint": .string(baseURL + "/oauth2/revoke"),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": .array(scopes),
        ]
    }
}
