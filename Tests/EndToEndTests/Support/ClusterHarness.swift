import CollabCore
import Foundation
import Synchronization
import TestSupport
import Testing
import WireProtocol

@testable import RESTGateway

/// Several `tmi-server` processes on loopback port 0 sharing one PostgreSQL schema and a Redis of
/// their own (a dedicated `RedisTestServer`, docs/cluster.md), every node with the same HS256 token
/// secret and the same public URL (the token issuer), so a token minted here is accepted by every
/// node.
final class ClusterHarness: @unchecked Sendable {
    // @unchecked: `nodes` is only changed by the test task that owns the harness (start, kill).
    static let publicURL = "http://tmi.cluster.test"
    static let jwtSecret = "cluster-test-jwt-secret-0123456789abcdef"
    let binary: String
    let redis: RedisTestServer
    let databaseURL: String
    let schema: String
    let secret: String
    let leaseTTL: Int
    /// The token issuer every node shares (`--public-url`); node 0's own URL when it is the issuer.
    var issuer = ClusterHarness.publicURL
    var firstNodeIsIssuer = false
    var nodes: [ChildServer?] = []
    var directories: [String] = []
    /// Nodes killed; read by editor tasks while the test task kills (hence the lock).
    let dead = Mutex<Set<Int>>([])

    init(binary: String, redis: RedisTestServer, databaseURL: String, leaseTTL: Int, secret: String) {
        self.binary = binary
        self.redis = redis
        self.databaseURL = databaseURL
        self.schema = TestDatabase.freshSchema()
        self.leaseTTL = leaseTTL
        self.secret = secret
    }

    /// `firstNodeIsIssuer`: node 0 runs without `--public-url` and the others name its URL, so
    /// logins through node 0 (the test provider's redirects) work, as `tmi-loadtest` needs.
    /// The lease TTL: 5 s, long enough that a loaded two-core machine (tests in parallel, other
    /// builds) does not miss renewals, short enough that a failover waits little.
    static func start(
        nodes count: Int, leaseTTL: Int = 5000, secret: String = "cluster-secret-0123456789",
        firstNodeIsIssuer: Bool = false
    ) async throws -> ClusterHarness {
        let binary = try #require(ServerBinary.path)
        let url = try TestDatabase.requireURL()
        let redis = try await RedisTestServer.start()
        let harness = ClusterHarness(
            binary: binary, redis: redis, databaseURL: url, leaseTTL: leaseTTL, secret: secret)
        harness.firstNodeIsIssuer = firstNodeIsIssuer
        for i in 0..<count { try await harness.startNode(i) }
        return harness
    }

    func arguments(_ i: Int, secret: String? = nil) -> [String] {
        let publicURL = firstNodeIsIssuer && i == 0 ? [] : ["--public-url", issuer]
        return [
            "--database-url", databaseURL, "--database-schema", schema, "--redis-url", redis.url, "--node-id",
            "n\(i)", "--cluster-secret", secret ?? self.secret, "--lease-ttl", String(leaseTTL),
            "--jwt-alg", "HS256", "--jwt-secret", Self.jwtSecret,
        ] + publicURL
    }

    @discardableResult
    func startNode(_ i: Int, secret: String? = nil) async throws -> ChildServer {
        while directories.count <= i { directories.append(LiveServer.temporaryDirectory()) }
        while nodes.count <= i { nodes.append(nil) }
        let node = try await ChildServer.start(
            binary: binary, dataDirectory: directories[i], arguments: arguments(i, secret: secret),
            stderrPath: logPath(i))
        nodes[i] = node
        if firstNodeIsIssuer && i == 0 { issuer = node.baseURL }
        return node
    }

    /// Node `i`'s log (one JSON object per line).
    func logPath(_ i: Int) -> String { directories[i] + "/node.log" }
    func log(_ i: Int) -> String { (try? String(contentsOfFile: logPath(i), encoding: .utf8)) ?? "" }

    /// The raw value of `tmi:owner:{diagram}` in Redis ("node token"), nil when no node owns it.
    func ownerKey(_ diagram: String) async -> String? {
        guard let client = try? RedisClient(url: redis.url) else { return nil }
        let value = try? await client.send(RedisCommand("GET", "tmi:owner:\(diagram)"), timeout: .seconds(2))
        await client.close()
        return value?.string
    }

    func node(_ i: Int) -> ChildServer { nodes[i]! }
    var alive: [Int] {
        let dead = self.dead.withLock { $0 }
        return nodes.indices.filter { !dead.contains($0) }
    }

    /// SIGKILL, callable from any task; the node counts as dead at once.
    func killNow(_ i: Int) {
        dead.withLock { _ = $0.insert(i) }
        nodes[i]?.killNow()
    }

    func shutdown() async {
        for i in nodes.indices {
            dead.withLock { _ = $0.insert(i) }
            await nodes[i]?.kill9()
        }
        await redis.remove()
        // TMI_CHILD_STDERR=DIR keeps the nodes' logs there (debugging a failing test).
        if let keep = ProcessInfo.processInfo.environment["TMI_CHILD_STDERR"] {
            for i in directories.indices {
                try? FileManager.default.copyItem(atPath: logPath(i), toPath: "\(keep)/\(schema)-n\(i).log")
            }
        }
        for d in directories { try? FileManager.default.removeItem(atPath: d) }
        await TestDatabase.dropSchema(schema)
    }

    /// An access token for `user` every node accepts (HS256 under the shared secret).
    func token(_ user: String) -> String {
        let now = Int(Date().timeIntervalSince1970)
        let header: JSONValue = ["alg": "HS256", "typ": "JWT"]
        let payload: JSONValue = [
            "sub": .string("sub-\(user)"), "email": .string("\(user)@test.tmi"), "name": .string(user),
            "iss": .string(issuer), "aud": .string(issuer), "iat": .number(Double(now - 5)),
            "nbf": .number(Double(now - 5)), "exp": .number(Double(now + 3600)),
            "jti": .string(UUIDText.random()), "idp": "test", "groups": [],
        ]
        let input =
            RelaySignature.base64url(header.serialized()) + "."
            + RelaySignature.base64url(payload.serialized())
        let mac = RelaySignature.hmac(Array(Self.jwtSecret.utf8), Array(input.utf8))
        return input + "." + RelaySignature.base64url(mac)
    }

    func call(_ i: Int, _ method: String, _ path: String, as user: String = "alice", _ body: JSONValue? = nil)
        async throws -> Reply
    {
        var headers = HTTPHeaders([("Authorization", "Bearer \(token(user))")])
        if body != nil { headers.add("Content-Type", "application/json") }
        return try await Browser.send(
            method, node(i).baseURL + path, headers: headers, body: body?.serialized() ?? [])
    }

    /// A threat model every user may write (the `everyone` group) with one empty diagram.
    func makeDiagram(on i: Int) async throws -> (model: String, diagram: String) {
        let model = try #require(
            try await call(
                i, "POST", "/threat_models",
                [
                    "name": "Cluster",
                    "authorization": [
                        [
                            "principal_type": "group", "provider": "*", "provider_id": "everyone",
                            "role": "writer",
                        ]
                    ],
                ]
            ).json["id"]?.stringValue)
        let diagram = try #require(
            try await call(i, "POST", "/threat_models/\(model)/diagrams", ["name": "D", "type": "DFD-1.0.0"])
                .json["id"]?.stringValue)
        return (model, diagram)
    }

    /// The node owning the diagram's session per the cluster-wide listing (asked of node `via`).
    func owner(of diagram: String, via i: Int) async throws -> Int? {
        let list = try await call(i, "GET", "/collaboration/sessions")
        for s in list.json.arrayValue ?? [] where s["diagram_id"]?.stringValue == diagram {
            if let id = s["node_id"]?.stringValue, id.hasPrefix("n") { return Int(id.dropFirst()) }
        }
        return nil
    }

    /// The diagram's cells as PostgreSQL holds them (id → cell) and its revision.
    func databaseDiagram(model: String, diagram: String) async throws -> (
        cells: [String: JSONValue], revision: Int
    ) {
        let client = try PostgresClient(url: databaseURL)
        defer { Task { await client.close() } }
        var cells: [String: JSONValue] = [:]
        for row in try await client.query(
            "SELECT cell_id, data::text AS d FROM \(schema).tmi_diagram_cells WHERE model_id = $1 AND diagram_id = $2",
            [.text(model), .text(diagram)]
        ).rows {
            cells[try row.string("cell_id")] = try JSONValue.parse(Array(try row.string("d").utf8))
        }
        let revision =
            try await client.query(
                "SELECT update_vector FROM \(schema).tmi_children WHERE model_id = $1 AND kind = 'diagrams' AND id = $2",
                [.text(model), .text(diagram)]
            ).rows.first?["update_vector"]?.int ?? 0
        await client.close()
        return (cells, revision)
    }
}
