import CollabCore
import RESTGateway
import WireProtocol

/// What a client application does against a live server's OAuth endpoints, over real sockets.
struct IdentityClient {
    /// `http://127.0.0.1:PORT` of the server.
    let base: String

    init(server: LiveServer) { base = server.baseURL }
    init(base: String) { self.base = base }

    /// The authorize URL of the test provider, as a login page would build it.
    func authorizeURL(
        idp: String = "test", hint: String? = nil, state: String = "s1", callback: String? = nil,
        extra: [(String, String)] = []
    ) -> String {
        var items = [("idp", idp), ("scope", "openid"), ("state", state)]
        if let hint { items.append(("login_hint", hint)) }
        if let callback { items.append(("client_callback", callback)) }
        items += extra
        return base + "/oauth2/authorize?"
            + items.map { "\($0.0)=\(Self.escape($0.1))" }.joined(separator: "&")
    }

    /// Logs `hint` in with a browser ending at `callback`; returns what the callback received.
    func login(_ hint: String?, state: String = "s1", callback: ClientCallback) async throws -> [String:
        String]
    {
        let (visited, last) = try await Browser.navigate(
            authorizeURL(hint: hint, state: state, callback: callback.url))
        guard last.status == 200, let final = visited.last.flatMap(TestURL.init) else {
            throw BrowserError.badRedirect(visited.joined(separator: " -> "))
        }
        return final.query
    }

    /// Logs `hint` in without a client callback: the callback answers the token JSON.
    func loginJSON(_ hint: String?, state: String = "s1") async throws -> Tokens {
        let (_, last) = try await Browser.navigate(authorizeURL(hint: hint, state: state))
        return try Tokens(last.json)
    }

    func get(_ path: String, bearer: String? = nil) async throws -> Reply {
        var headers = HTTPHeaders()
        if let bearer { headers.add("Authorization", "Bearer \(bearer)") }
        return try await Browser.send("GET", base + path, headers: headers)
    }

    func post(_ path: String, json: JSONValue, bearer: String? = nil) async throws -> Reply {
        var headers = HTTPHeaders([("Content-Type", "application/json")])
        if let bearer { headers.add("Authorization", "Bearer \(bearer)") }
        return try await Browser.send("POST", base + path, headers: headers, body: json.serialized())
    }

    func post(_ path: String, form: [(String, String)], bearer: String? = nil) async throws -> Reply {
        var headers = HTTPHeaders([("Content-Type", "application/x-www-form-urlencoded")])
        if let bearer { headers.add("Authorization", "Bearer \(bearer)") }
        let body = form.map { "\($0.0)=\(Self.escape($0.1))" }.joined(separator: "&")
        return try await Browser.send("POST", base + path, headers: headers, body: Array(body.utf8))
    }

    /// `GET /oauth2/userinfo` with `token`.
    func userinfo(_ token: String) async throws -> Reply { try await get("/oauth2/userinfo", bearer: token) }

    /// Percent-encodes all but RFC 3986 unreserved characters.
    static func escape(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            let c = Character(Unicode.Scalar(b))
            if c.isASCII && (c.isLetter || c.isNumber || "-._~".contains(c)) {
                out.append(c)
            } else {
                out += "%" + (b < 16 ? "0" : "") + String(b, radix: 16, uppercase: true)
            }
        }
        return out
    }
}

/// A token response (`AuthTokenResponse`), from JSON or from a callback's query.
struct Tokens: Equatable {
    var access: String
    var refresh: String
    var expiresIn: Int

    init(_ json: JSONValue) throws {
        guard let a = json["access_token"]?.stringValue, let r = json["refresh_token"]?.stringValue,
            let e = json["expires_in"]?.doubleValue, json["token_type"] == "Bearer"
        else { throw MissingTokens(got: "\(json)") }
        access = a
        refresh = r
        expiresIn = Int(e)
    }

    init(_ query: [String: String]) throws {
        guard let a = query["access_token"], let r = query["refresh_token"],
            let e = query["expires_in"].flatMap({ Int($0) }), query["token_type"] == "Bearer"
        else { throw MissingTokens(got: "\(query)") }
        access = a
        refresh = r
        expiresIn = e
    }
}

struct MissingTokens: Error { var got: String }
