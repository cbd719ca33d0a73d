import CollabCore
import Storage
import WireProtocol

@testable import RESTGateway

/// Calls the real `Gateway` (router, middleware, authentication) without sockets.
struct APIHarness {
    let gateway: Gateway

    init(_ providers: [any RouteProvider]) {
        do {
            gateway = try Gateway(
                routes: providers.flatMap(\.routes), authenticator: EmailTokenAuthenticator(),
                middleware: Gateway.standardMiddleware(logger: .discarding))
        } catch {
            preconditionFailure("routes do not compile: \(error)")
        }
    }

    static func make(now: @escaping @Sendable () -> Double = { 1_750_000_000 }) -> (
        APIHarness, ThreatModelStore
    ) {
        let store = ThreatModelStore()
        return (APIHarness(ThreatModelAPI.providers(store: store, now: now)), store)
    }

    struct Reply {
        var status: Int
        var json: JSONValue
        var headers: HTTPHeaders
    }

    func call(
        _ method: String, _ target: String, as user: AuthenticatedUser?, body: JSONValue? = nil,
        contentType: String = "application/json"
    ) async -> Reply {
        var headers = HTTPHeaders()
        headers.add("Host", "127.0.0.1")
        if body != nil { headers.add("Content-Type", contentType) }
        if let user {
            let extra =
                user.idp.isEmpty && user.groups.isEmpty
                ? "" : ";\(user.idp);" + user.groups.joined(separator: ",")
            headers.add("Authorization", "Bearer tok:\(user.email)\(extra)")
        }
        let request = HTTPRequest(
            method: method, target: target, headers: headers, body: body?.serialized() ?? [])
        let response = await gateway.respond(to: request)
        let json = response.body.isEmpty ? JSONValue.null : ((try? JSONValue.parse(response.body)) ?? .null)
        return Reply(status: response.status, json: json, headers: response.headers)
    }
}

extension AuthenticatedUser {
    static func make(_ name: String) -> AuthenticatedUser {
        AuthenticatedUser(id: "id-\(name)", email: "\(name)@test.tmi", name: name.capitalized)
    }
}
