import CollabCore
import RESTGateway
import WireProtocol

extension HTTPRequest {
    static func make(
        _ method: String = "GET", _ target: String = "/", headers: [(String, String)] = [], body: String = ""
    ) -> HTTPRequest {
        HTTPRequest(
            method: method, target: target, headers: HTTPHeaders(headers.map { (name: $0.0, value: $0.1) }),
            body: Array(body.utf8))
    }
}

extension RequestContext {
    static func make(
        _ method: String = "GET", _ target: String = "/", headers: [(String, String)] = [], body: String = "",
        requestID: String = "req-1"
    ) -> RequestContext {
        let request = HTTPRequest.make(method, target, headers: headers, body: body)
        return RequestContext(request: request, query: QueryString.parse(request.query), requestID: requestID)
    }
}

/// Accepts exactly one token, `good-token`, as alice.
struct StubAuthenticator: Authenticator {
    static let alice = AuthenticatedUser(id: "u-alice", email: "alice@test.tmi", name: "Alice")

    func authenticate(bearer token: String) throws(APIError) -> AuthenticatedUser {
        guard token == "good-token" else { throw APIError.unauthorized("token rejected") }
        return Self.alice
    }
}

/// A responder that echoes what it saw as JSON, so tests can inspect the context it received.
let echoResponder: RequestResponder = { context in
    var o: [String: JSONValue] = [
        "request_id": .string(context.requestID),
        "params": .object(context.pathParameters.dictionary.mapValues { .string($0) }),
        "query": .object(context.query.mapValues { .string($0) }),
    ]
    if let user = context.user { o["user"] = .string(user.id) }
    if let token = context.accessToken { o["token"] = .string(token) }
    return .json(.object(o))
}

extension HTTPResponse {
    var json: JSONValue? { try? JSONValue.parse(body) }
}

struct Boom: Error, CustomStringConvertible {
    var description: String { "secret internal detail /var/lib/db" }
}
