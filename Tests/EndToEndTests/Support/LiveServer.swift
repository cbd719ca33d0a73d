import CollabCore
import Foundation
import RESTGateway
import WireProtocol

/// Accepts tokens of the form `tok:<email>` so end-to-end tests can act as any user without the
/// OAuth dance (which has its own end-to-end tests).
struct EmailTokenAuthenticator: Authenticator {
    func authenticate(bearer token: String) async throws(APIError) -> AuthenticatedUser {
        guard token.hasPrefix("tok:") else { throw APIError.unauthorized("bad token") }
        let email = String(token.dropFirst(4))
        let name = String(email.prefix { $0 != "@" })
        return AuthenticatedUser(id: "id-\(name)", email: email, name: name.capitalized)
    }
}

/// The whole product on a loopback port 0 over a data directory, as `tmi-server` runs it.
struct LiveServer {
    let running: RunningServer
    let dataDirectory: String
    var store: TestStore = .embedded
    var port: Int { running.port }

    static func temporaryDirectory() -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
            "tmi-e2e-\(UUIDText.random())"
        ).path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// `store` picks the backend; a restart passes the same data directory and store.
    static func start(dataDirectory: String = temporaryDirectory(), store: TestStore = .embedded) async throws
        -> LiveServer
    {
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.dataDirectory = dataDirectory
        try store.configure(&configuration)
        let app = TMIFeatures.application(configuration: configuration, logger: .discarding) { _ in
            (routes: [], authenticator: EmailTokenAuthenticator())
        }
        return LiveServer(running: try await app.start(), dataDirectory: dataDirectory, store: store)
    }

    /// The product with its real identity service (`TMIFeatures.builtInIdentity`, or `identity`),
    /// as `tmi-server` runs it. `port` 0 picks a free one; a restart passes the old port so the
    /// issuer (`http://127.0.0.1:PORT`) and every token it signed stay the same.
    static func startWithIdentity(
        dataDirectory: String = temporaryDirectory(), port: Int = 0, store: TestStore = .embedded,
        configure: (inout ServerConfiguration) -> Void = { _ in },
        identity: @escaping TMIFeatures.Identity = TMIFeatures.builtInIdentity
    ) async throws -> LiveServer {
        var configuration = ServerConfiguration()
        configuration.port = port
        configuration.dataDirectory = dataDirectory
        try store.configure(&configuration)
        configure(&configuration)
        let app = TMIFeatures.application(
            configuration: configuration, logger: .discarding, identity: identity)
        return LiveServer(running: try await app.start(), dataDirectory: dataDirectory, store: store)
    }

    var baseURL: String { running.environment.baseURL }

    func stop() async { await running.shutdown() }

    /// One request as `email` (nil: no token); the body as JSON.
    func call(_ method: String, _ target: String, as email: String?, body: JSONValue? = nil) async throws -> (
        status: Int, json: JSONValue
    ) {
        let client = HTTPClient(port: port)
        defer { Task { await client.close() } }
        var headers = HTTPHeaders()
        headers.add("Host", "127.0.0.1:\(port)")
        if let email { headers.add("Authorization", "Bearer tok:\(email)") }
        if body != nil { headers.add("Content-Type", "application/json") }
        let response = try await client.send(
            HTTPRequest(method: method, target: target, headers: headers, body: body?.serialized() ?? []))
        let bytes = response.decodedBody ?? response.body
        return (response.status, bytes.isEmpty ? .null : ((try? JSONValue.parse(bytes)) ?? .null))
    }
}

/// Fails with a clear message instead of hanging when something never arrives: `body` is
/// cancelled after `seconds` (it must honour cancellation) and `TimedOut` is thrown.
func within<T: Sendable>(
    seconds: Double = 20, _ what: String, _ body: @escaping @Sendable () async throws -> T
)
    async throws -> T
{
    let work = Task { try await body() }
    let timer = Task {
        try await Task.sleep(for: .seconds(seconds))
        work.cancel()
    }
    defer { timer.cancel() }
    do {
        return try await work.value
    } catch {
        if work.isCancelled { throw TimedOut(what: what) }
        throw error
    }
}

struct TimedOut: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}
