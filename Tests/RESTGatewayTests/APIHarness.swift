import CollabCore
import WireProtocol

@testable import RESTGateway

/// Calls route handlers directly (no sockets): matches `method path` against the providers'
/// patterns (static segments before parameters), renders thrown `APIError`s as the gateway does.
struct APIHarness {
    let routes: [Route]

    init(_ providers: [any RouteProvider]) { routes = providers.flatMap(\.routes) }

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
        _ method: String, _ target: String, as user: AuthenticatedUser?, body: JSONValue? = nil
    ) async -> Reply {
        let path = target.split(separator: "?", maxSplits: 1).first.map(String.init) ?? target
        var query: [String: String] = [:]
        if let q = target.split(separator: "?", maxSplits: 1).dropFirst().first {
            for pair in q.split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
                if query[kv[0]] == nil { query[kv[0]] = kv.count > 1 ? kv[1] : "" }
            }
        }
        let segments = path.split(separator: "/").map(String.init)
        var best: (Route, [String: String], Int)?
        for r in routes where r.method == method {
            let pattern = r.pattern.split(separator: "/").map(String.init)
            guard pattern.count == segments.count else { continue }
            var params: [String: String] = [:]
            var statics = 0
            var ok = true
            for (p, s) in zip(pattern, segments) {
                if p.hasPrefix("{") {
                    params[String(p.dropFirst().dropLast())] = s
                } else if p == s {
                    statics += 1
                } else {
                    ok = false
                    break
                }
            }
            if ok, statics > (best?.2 ?? -1) { best = (r, params, statics) }
        }
        guard let (route, params, _) = best else {
            return Reply(status: 404, json: .null, headers: HTTPHeaders())
        }
        var headers = HTTPHeaders()
        headers.add("Content-Type", "application/json")
        let request = HTTPRequest(
            method: method, target: target, headers: headers, body: body?.serialized() ?? [])
        let ctx = RequestContext(request: request, pathParameters: params, query: query, user: user)
        let response: HTTPResponse
        do {
            response = try await route.handler(ctx)
        } catch let e as APIError {
            response = .error(e)
        } catch {
            response = HTTPResponse(status: 500)
        }
        let json = response.body.isEmpty ? JSONValue.null : ((try? JSONValue.parse(response.body)) ?? .null)
        return Reply(status: response.status, json: json, headers: response.headers)
    }
}

extension AuthenticatedUser {
    static func make(_ name: String) -> AuthenticatedUser {
        AuthenticatedUser(id: "id-\(name)", email: "\(name)@test.tmi", name: name.capitalized)
    }
}
