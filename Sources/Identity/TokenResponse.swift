import CollabCore

/// The spec's `AuthTokenResponse`: what a login or a refresh hands the client.
public struct TokenResponse: Sendable, Equatable {
    public var accessToken: String
    public var refreshToken: String
    public var expiresIn: Int64

    public var json: JSONValue {
        [
            "access_token": .string(accessToken),
            "refresh_token": .string(refreshToken),
            "token_type": "Bearer",
            "expires_in": .number(Double(expiresIn)),
        ]
    }

    /// The same fields as query parameters for the redirect to a `client_callback`.
    public func queryItems(state: String?) -> [(String, String)] {
        var items = [
            ("access_token", accessToken), ("refresh_token", refreshToken), ("expires_in", String(expiresIn)),
            ("token_type", "Bearer"),
        ]
        if let state { items.append(("state", state)) }
        return items
    }
}
