import CollabCore
import Foundation
import RESTGateway
import WireProtocol

/// One row of the endpoint table: a request that must answer exactly `status`.
struct EndpointScenario: Sendable {
    var method: String
    var path: String
    var status: Int
    var run: @Sendable (EndpointWorld) async throws -> Reply

    var key: String { "\(method) \(path) \(status)" }
}

/// Who sends a table request.
enum Caller: Sendable { case owner, stranger, anonymous }

/// The ids a templated path (`/threat_models/{threat_model_id}/...`) is filled from. Every
/// entity exists and carries metadata key `k`.
struct Fixture: Sendable {
    var ids: [String: String]

    /// Fills every `{parameter}` of `template`; `{key}` is the metadata key `k`.
    func path(_ template: String) -> String {
        var out = template.replacingOccurrences(of: "{key}", with: "k")
        for (name, id) in ids { out = out.replacingOccurrences(of: "{\(name)}", with: id) }
        return out
    }

    /// The same fixture with `parameter` naming something that does not exist.
    func missing(_ parameter: String) -> Fixture {
        var copy = self
        copy.ids[parameter] = UUIDText.random()
        return copy
    }
}

/// A live server with the real identity service, two logged-in users (alice owns every fixture,
/// bob has no role on any) and a shared fixture that no table row changes.
struct EndpointWorld: Sendable {
    let server: LiveServer
    let owner: Tokens
    let stranger: Tokens
    let shared: Fixture

    static func start(store: TestStore = .embedded) async throws -> EndpointWorld {
        let server = try await LiveServer.startWithIdentity(store: store)
        let client = IdentityClient(server: server)
        let alice = try await client.loginJSON("alice")
        let bob = try await client.loginJSON("bob")
        let partial = EndpointWorld(server: server, owner: alice, stranger: bob, shared: Fixture(ids: [:]))
        let shared = try await partial.fixture()
        return EndpointWorld(server: server, owner: alice, stranger: bob, shared: shared)
    }

    var identity: IdentityClient { IdentityClient(server: server) }

    func token(_ caller: Caller) -> String? {
        switch caller {
        case .owner: owner.access
        case .stranger: stranger.access
        case .anonymous: nil
        }
    }

    /// One JSON request to `target` (a path with query) as `caller`.
    func call(_ method: String, _ target: String, as caller: Caller = .owner, body: JSONValue? = nil)
        async throws -> Reply
    {
        var headers = HTTPHeaders()
        if let token = token(caller) { headers.add("Authorization", "Bearer \(token)") }
        if body != nil { headers.add("Content-Type", "application/json") }
        return try await Browser.send(
            method, server.baseURL + target, headers: headers, body: body?.serialized() ?? [])
    }

    /// Creates `path` with `body` as the owner and returns the new id.
    func create(_ path: String, _ body: JSONValue) async throws -> String {
        let reply = try await call("POST", path, body: body)
        guard reply.status == 201, let id = reply.json["id"]?.stringValue else {
            throw FixtureFailed(what: "POST \(path) → \(reply.status) \(reply.json)")
        }
        return id
    }

    /// A new threat model owned by alice with one threat, document, source and diagram, each
    /// (and the model) carrying metadata `k`.
    func fixture() async throws -> Fixture {
        let tm = try await create("/threat_models", EndpointBodies.threatModel)
        let base = "/threat_models/\(tm)"
        var ids = ["threat_model_id": tm]
        ids["threat_id"] = try await create(base + "/threats", EndpointBodies.threat)
        ids["document_id"] = try await create(base + "/documents", EndpointBodies.document)
        ids["source_id"] = try await create(base + "/sources", EndpointBodies.source)
        ids["diagram_id"] = try await create(base + "/diagrams", EndpointBodies.diagram)
        let fixture = Fixture(ids: ids)
        for owner in [
            "", "/threats/{threat_id}", "/documents/{document_id}", "/sources/{source_id}",
            "/diagrams/{diagram_id}",
        ] {
            let reply = try await call(
                "POST", fixture.path(base + owner + "/metadata"), body: ["key": "k", "value": "v"])
            guard reply.status == 201 else {
                throw FixtureFailed(what: "metadata on \(owner): \(reply.status)")
            }
        }
        return fixture
    }
}

struct FixtureFailed: Error { var what: String }

/// Valid request bodies for each kind of entity (the spec's required fields).
enum EndpointBodies {
    static let threatModel: JSONValue = ["name": "Payments"]
    static let threat: JSONValue = [
        "name": "Spoofed card", "severity": "High", "priority": "High", "mitigated": false,
        "status": "Open", "threat_type": "Spoofing",
    ]
    static let document: JSONValue = ["name": "Design", "url": "https://docs.example.com/design"]
    static let source: JSONValue = ["url": "https://git.example.com/payments.git"]
    static let diagram: JSONValue = ["name": "Context", "type": "DFD-1.0.0"]
    static let rename: JSONValue = [["op": "replace", "path": "/name", "value": "Renamed"]]
    /// A patch of a read-only field: refused with 400 whatever the entity.
    static let readOnlyPatch: JSONValue = [["op": "replace", "path": "/id", "value": "x"]]
    static let metadata: JSONValue = ["key": "k2", "value": "v2"]
    static let metadataValue: JSONValue = ["value": "v3"]
    static let metadataBulk: JSONValue = [["key": "a", "value": "1"], ["key": "b", "value": "2"]]
    /// Metadata with an empty key (minLength 1).
    static let badMetadata: JSONValue = ["key": "", "value": "v"]
}
