import CollabCore
import FoundationEssentials

/// The REST calls a run needs: login through the built-in test provider, creating a threat model
/// and diagrams, reading a diagram's cells. Every failure becomes a `LoadTestError` with a
/// message fit for one line.
public struct APIClient: Sendable {
    public struct Login: Sendable {
        public var accessToken: String
        public var user: UserRef
    }

    let transport: any LoadTestTransport
    let baseURL: String

    public init(transport: any LoadTestTransport, baseURL: String) {
        self.transport = transport
        self.baseURL = baseURL
    }

    func send(_ method: String, _ target: String, token: String? = nil, json: JSONValue? = nil)
        async throws(LoadTestError)
        -> HTTPResult
    {
        var headers: [(String, String)] = [("Accept", "application/json")]
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        var body: [UInt8] = []
        if let json {
            headers.append(("Content-Type", "application/json"))
            body = json.serialized()
        }
        do {
            return try await transport.request(method: method, target: target, headers: headers, body: body)
        } catch {
            throw .unreachable("\(method) \(baseURL)\(target): \(error)")
        }
    }

    /// `GET /oauth2/authorize?idp=test&login_hint=HINT…` → 302 to the callback → 200 with tokens.
    public func login(hint: String) async throws(LoadTestError) -> Login {
        let state = "lt-\(hint)"
        let authorize = "/oauth2/authorize?idp=test&login_hint=\(hint)&scope=openid&state=\(state)"
        let first = try await send("GET", authorize)
        let callback: HTTPResult
        if first.status == 200 {
            callback = first  // a provider that answers with tokens directly
        } else if (first.status == 302 || first.status == 303), let location = first.header("Location") {
            callback = try await send("GET", Self.originForm(location))
        } else {
            throw .login("\(hint): GET /oauth2/authorize answered \(first.status)\(Self.errorText(first))")
        }
        guard callback.status == 200, let tokens = try? JSONValue.parse(callback.body),
            let access = tokens["access_token"]?.stringValue
        else {
            throw .login("\(hint): the callback answered \(callback.status)\(Self.errorText(callback))")
        }
        // Who we are, for `initiating_user`: the JWT's claims, else the userinfo endpoint.
        var claims = Self.jwtClaims(access)
        if claims?["sub"] == nil {
            let info = try await send("GET", "/oauth2/userinfo", token: access)
            if info.status == 200 { claims = try? JSONValue.parse(info.body) }
        }
        let email = claims?["email"]?.stringValue ?? "\(hint)@test.tmi"
        let subject = claims?["sub"]?.stringValue ?? ""
        return Login(accessToken: access, user: UserRef(userID: subject, email: email))
    }

    /// Creates a threat model owned by `owner` with `writers` (emails) allowed to edit it.
    public func createThreatModel(name: String, owner: Login, writers: [String]) async throws(LoadTestError)
        -> String
    {
        let authorization = writers.map { JSONValue.object(["subject": .string($0), "role": "writer"]) }
        let body: JSONValue = ["name": .string(name), "authorization": .array(authorization)]
        return try await createdID(
            send("POST", "/threat_models", token: owner.accessToken, json: body), "threat model")
    }

    public func createDiagram(threatModel: String, name: String, owner: Login) async throws(LoadTestError)
        -> String
    {
        let body: JSONValue = ["name": .string(name), "type": "DFD-1.0.0"]
        let result = try await send(
            "POST", "/threat_models/\(threatModel)/diagrams", token: owner.accessToken, json: body)
        return try createdID(result, "diagram")
    }

    /// Opens (or joins) the collaboration session; a server that opens sessions on WebSocket
    /// connect may answer 404/405 here, which is fine.
    public func startSession(threatModel: String, diagram: String, login: Login) async throws(LoadTestError) {
        _ = try await send(
            "POST", "/threat_models/\(threatModel)/diagrams/\(diagram)/collaborate", token: login.accessToken)
    }

    /// The diagram's cells and revision as REST returns them.
    public func diagram(threatModel: String, diagram: String, login: Login) async throws(LoadTestError)
        -> (cells: [JSONValue], vector: Int?)
    {
        let result = try await send(
            "GET", "/threat_models/\(threatModel)/diagrams/\(diagram)", token: login.accessToken)
        guard result.status == 200, let body = try? JSONValue.parse(result.body) else {
            throw .setup("GET diagram \(diagram) answered \(result.status)\(Self.errorText(result))")
        }
        return (body["cells"]?.arrayValue ?? [], body["update_vector"]?.doubleValue.map { Int($0) })
    }

    func createdID(_ result: HTTPResult, _ what: String) throws(LoadTestError) -> String {
        guard result.status == 201 || result.status == 200, let body = try? JSONValue.parse(result.body),
            let id = body["id"]?.stringValue
        else {
            if result.status == 401 || result.status == 403 {
                throw .login("creating a \(what) answered \(result.status)\(Self.errorText(result))")
            }
            throw .setup("creating a \(what) answered \(result.status)\(Self.errorText(result))")
        }
        return id
    }

    /// `: error_description` from a TMI error body, when there is one.
    static func errorText(_ result: HTTPResult) -> String {
        guard let body = try? JSONValue.parse(result.body) else { return "" }
        let text = body["error_description"]?.stringValue ?? body["error"]?.stringValue
        return text.map { ": \($0)" } ?? ""
    }

    /// `/path?query` from an absolute or origin-form URL.
    static func originForm(_ location: String) -> String {
        guard !location.hasPrefix("/") else { return location }
        let parts = location.split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false)
        // "http:", "", "host:port", "path?query"
        guard parts.count >= 3, parts[0].hasSuffix(":"), parts[1].isEmpty else { return "/" + location }
        return parts.count == 4 ? "/" + parts[3] : "/"
    }

    /// The payload of a JWT, unverified: the load tester only needs `sub` and `email` to fill
    /// `initiating_user` (the server checks the token, not us).
    static func jwtClaims(_ token: String) -> JSONValue? {
        let parts = token.split(separator: ".")
        guard parts.count == 3 else { return nil }
        var text = String(parts[1].map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
        while text.count % 4 != 0 { text += "=" }
        guard let data = Data(base64Encoded: text) else { return nil }
        return try? JSONValue.parse([UInt8](data))
    }
}
