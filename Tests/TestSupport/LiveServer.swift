import CollabCore
import Foundation
import RESTGateway
import WireProtocol

/// Accepts tokens of the form `tok:<email>` (tests only, shared by every test target) so tests can
/// act as any user without the OAuth dance (which has its own end-to-end tests).
public struct EmailTokenAuthenticator: Authenticator {
    public init() {}

    /// `tok:<email>[;<idp>;<group>,<group>...]`: the identity provider and groups are optional.
    public func authenticate(bearer token: String) throws(APIError) -> AuthenticatedUser {
        guard token.hasPrefix("tok:") else { throw APIError.unauthorized("bad token") }
        let parts = token.dropFirst(4).split(separator: ";", omittingEmptySubsequences: false)
        let email = String(parts[0])
        let name = String(email.prefix { $0 != "@" })
        let idp = parts.count > 1 ? String(parts[1]) : ""
        let groups = parts.count > 2 ? parts[2].split(separator: ",").map(String.init) : []
        return AuthenticatedUser(
            id: "id-\(name)", email: email, name: name.capitalized, idp: idp, groups: groups)
    }
}

/// The whole product on a loopback port 0 over a data directory, as `tmi-server` runs it.
public struct LiveServer: Sendable {
    public let running: RunningServer
    public let dataDirectory: String
    public var store: TestStore = .embedded
    public var port: Int { running.port }

    public init(running: RunningServer, dataDirectory: String, store: TestStore = .embedded) {
        self.running = running
        self.dataDirectory = dataDirectory
        self.store = store
    }

    public static func temporaryDirectory() -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
            "tmi-e2e-\(UUIDText.random())"
        ).path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// `store` picks the backend; a restart passes the same data directory and store.
    public static func start(dataDirectory: String = temporaryDirectory(), store: TestStore = .embedded)
        async throws
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
    public static func startWithIdentity(
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

    public var baseURL: String { running.environment.baseURL }

    public func stop() async { await running.shutdown() }

    /// Creates a threat model of `owner`'s named `model`, shared per `authorization` (the API's
    /// entries), with one DFD diagram named `diagram`; fails unless both are created.
    public func makeDiagram(
        as owner: String, model: String, authorization: JSONValue = [], diagram: String = "DFD"
    ) async throws -> (model: String, diagram: String) {
        let created = try await call(
            "POST", "/threat_models", as: owner,
            body: ["name": .string(model), "authorization": authorization])
        guard let tm = created.json["id"]?.stringValue else {
            throw SetupFailed(step: "model", answer: created)
        }
        let dfd = try await call(
            "POST", "/threat_models/\(tm)/diagrams", as: owner,
            body: ["name": .string(diagram), "type": "DFD-1.0.0"])
        guard let d = dfd.json["id"]?.stringValue else { throw SetupFailed(step: "diagram", answer: dfd) }
        return (tm, d)
    }

    public struct SetupFailed: Error, CustomStringConvertible {
        public var step: String
        public var answer: (status: Int, json: JSONValue)
        public var description: String { "creating the \(step) answered \(answer.status): \(answer.json)" }
    }

    /// One request as `email` (nil: no token); the body as JSON.
    public func call(_ method: String, _ target: String, as email: String?, body: JSONValue? = nil)
        async throws -> (
            status: Int, json: JSONValue
        )
    {
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
/// cancelled after `seconds` (it must honour cancellation) and `TimedOut` is thrown. The wait is
/// driven by the awaited event; the deadline is only a backstop, generous (60 s) because tests
/// run in parallel on a busy two-core machine.
public func within<T: Sendable>(
    seconds: Double = 60, _ what: String, _ body: @escaping @Sendable () async throws -> T
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

public struct TimedOut: Error, Sendable, CustomStringConvertible {
    public var what: String

    public init(what: String) { self.what = what }
    public var description: String { "timed out waiting for \(what)" }
}
