import CollabCore
import Foundation
import TestSupport
import Testing
import WireProtocol

/// TLS between nodes (docs/cluster.md "TLS between nodes"): real `tmi-server` processes serving
/// https/wss with certificates from a throwaway CA made with `openssl`, sharing PostgreSQL and
/// Redis, each advertising its `https://127.0.0.1:PORT` (the default when it serves TLS). A
/// relayed client's frames cross a wss link and a forwarded REST write an https one, each
/// verified against `--cluster-ca`; a node whose CA does not trust its peer refuses the link
/// (1012 for the client, a JSON 503 for the write, the TLS reason in its log).
@Suite(.serialized) struct ClusterTLSEndToEndTests {
    static var canRun: Bool { ClusterFailoverEndToEndTests.canRun }

    /// Two TLS nodes; `ca[i]` is the CA file node `i` verifies its peers with.
    static func withTLSCluster(
        _ pki: TestPKI, ca: [String], firstNodeIsIssuer: Bool = false,
        _ body: (ClusterHarness) async throws -> Void
    ) async throws {
        var arguments: [Int: [String]] = [:]
        for (i, file) in ca.enumerated() {
            arguments[i] = [
                "--tls-cert", pki.server.certificateFile, "--tls-key", pki.server.keyFile, "--cluster-ca",
                file,
            ]
        }
        let trust = try TLSContext.client(
            TLSClientConfiguration(trustsSystemRoots: false, additionalCAFile: pki.caCertificateFile))
        try await ClusterHarness.start(
            nodes: ca.count, firstNodeIsIssuer: firstNodeIsIssuer, nodeArguments: arguments, clientTLS: trust
        ).running(body)
    }

    /// The raw value of `tmi:node:{id}` ("instance advertise-URL").
    static func registration(_ harness: ClusterHarness, _ id: String) async -> String? {
        guard let client = try? RedisClient(url: harness.redis.url) else { return nil }
        let value = try? await client.send(RedisCommand("GET", "tmi:node:\(id)"), timeout: .seconds(2))
        await client.close()
        return value?.string
    }

    static func patch(
        _ harness: ClusterHarness, node: Int, _ target: (model: String, diagram: String), cell: String
    )
        async throws -> Reply
    {
        var headers = HTTPHeaders([("Authorization", "Bearer \(harness.token("alice"))")])
        headers.add("Content-Type", "application/json-patch+json")
        let value: JSONValue = [
            "id": .string(cell), "shape": "process", "x": 5, "y": 5, "width": 80, "height": 40,
        ]
        let patch: JSONValue = [["op": "add", "path": "/cells/-", "value": value]]
        return try await Browser.send(
            "PATCH", harness.url(node) + "/threat_models/\(target.model)/diagrams/\(target.diagram)",
            headers: headers, body: patch.serialized(), tls: harness.clientTLS)
    }

    @Test(.enabled(if: canRun, "needs tmi-server, PostgreSQL, redis-server and openssl"))
    func relaysAndForwardsCrossVerifiedTLSLinks() async throws {
        let pki = try await TestPKI.generate()
        defer { pki.remove() }
        try await Self.withTLSCluster(pki, ca: [pki.caCertificateFile, pki.caCertificateFile]) { harness in
            for id in ["n0", "n1"] {
                let value = await Self.registration(harness, id) ?? ""
                #expect(value.contains(" https://127.0.0.1:"), "node \(id) registered \(value)")
            }
            let target = try await harness.makeDiagram(on: 1)
            let a = try await ClusterEditor.join(index: 0, target: target, node: 0, harness: harness)
            #expect(await harness.ownerKey(target.diagram)?.hasPrefix("n0 ") == true)
            // b's WebSocket arrives at n1, which relays it to the owner n0 over wss.
            let b = try await ClusterEditor.join(index: 1, target: target, node: 1, harness: harness)
            var rng = SplitMix64(seed: 14)
            for _ in 0..<5 {
                try a.edit(using: &rng)
                try b.edit(using: &rng)
            }
            for e in [a, b] {
                try await within(seconds: 30, "editor \(e.index)'s acknowledgements") {
                    while !e.pending.isEmpty { try await e.step(harness) }
                }
            }
            #expect(a.acknowledged.count == 5 && b.acknowledged.count == 5)
            #expect(b.reconnects == 0 && a.reconnects == 0)

            // A REST write on n1 is forwarded to n0 over https and becomes an operation.
            let cell = "d0000000-0000-4000-8000-000000000014"
            let reply = try await Self.patch(harness, node: 1, target, cell: cell)
            #expect(reply.status == 200, "\(reply.status) \(String(decoding: reply.body, as: UTF8.self))")
            for e in [a, b] {
                try await within(seconds: 30, "editor \(e.index) to see the forwarded write") {
                    while e.confirmed[cell] == nil || e.confirmed.revision < 11 { try await e.step(harness) }
                }
            }
            #expect(a.confirmed.revision == 11 && b.confirmed.revision == 11)
            let database = try await harness.databaseDiagram(model: target.model, diagram: target.diagram)
            #expect(database.revision == 11)
            #expect(database.cells[cell] != nil)
            #expect(ClusterFailoverEndToEndTests.cells(.array(a.confirmed.cells)) == database.cells)
            #expect(ClusterFailoverEndToEndTests.cells(.array(b.confirmed.cells)) == database.cells)
            #expect(!harness.log(1).contains("relay to owner failed"))
            #expect(!harness.log(1).contains("forward to owner failed"))
        }
    }

    @Test(.enabled(if: canRun, "needs tmi-server, PostgreSQL, redis-server and openssl"))
    func aPeerWhoseCertificateIsNotTrustedIsRefusedWithAReasonAndNothingIsStored() async throws {
        let pki = try await TestPKI.generate()
        defer { pki.remove() }
        // n1 trusts only an unrelated CA: n0's certificate does not verify there.
        try await Self.withTLSCluster(pki, ca: [pki.caCertificateFile, pki.otherCACertificateFile]) {
            harness in
            let target = try await harness.makeDiagram(on: 0)
            let a = try await ClusterEditor.join(index: 0, target: target, node: 0, harness: harness)
            try await ClusterFaultsEndToEndTests.acknowledgedEdit(a, harness, seed: 1)
            #expect(await harness.ownerKey(target.diagram)?.hasPrefix("n0 ") == true)

            let connection = try await DiagramClient.connect(
                port: harness.node(1).port,
                target: ClusterEditor.path(target, user: "editor1", base: nil, harness),
                email: "editor1@test.tmi", tls: harness.clientTLS)
            let joined = try await within(seconds: 30, "the untrusted relay to close") {
                var joined = false
                while let m = try? await connection.nextMessage(seconds: 30) {
                    if m["message_type"] == "diagram_state_sync" { joined = true }
                }
                return joined
            }
            #expect(!joined)
            #expect(connection.closeCode == 1012)
            try await ClusterFaultsEndToEndTests.waitForLog(harness, 1, "relay to owner failed")
            #expect(harness.log(1).contains("TLS certificate verification failed"), "\(harness.log(1))")

            let cell = "d0000000-0000-4000-8000-000000000015"
            let reply = try await Self.patch(harness, node: 1, target, cell: cell)
            #expect(reply.status == 503)
            #expect(reply.json["error"] == "cluster_unavailable")
            #expect(reply.json["error_description"]?.stringValue?.contains("verification failed") == true)
            try await ClusterFaultsEndToEndTests.waitForLog(harness, 1, "forward to owner failed")

            // Nothing of the refused write is stored or broadcast: the owner's session and the
            // database still hold exactly the one acknowledged edit.
            let database = try await harness.databaseDiagram(model: target.model, diagram: target.diagram)
            #expect(database.cells[cell] == nil)
            #expect(database.revision == 1)
            let session = try await harness.call(
                0, "GET", "/threat_models/\(target.model)/diagrams/\(target.diagram)")
            #expect(session.json["update_vector"]?.doubleValue == 1)
            #expect(
                !(session.json["cells"]?.arrayValue ?? []).contains { $0["id"]?.stringValue == cell })
            #expect(ClusterFailoverEndToEndTests.cells(.array(a.confirmed.cells)) == database.cells)
        }
    }

    /// A peer that accepts TCP connections (the kernel completes them from the backlog) and never
    /// says a word: every TLS handshake with it hangs until the node's own timeout ends it.
    static func silentListener() -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        _ = listen(fd, 16)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    @Test(.enabled(if: canRun, "needs tmi-server, PostgreSQL, redis-server and openssl"))
    func aPeerWhoseHandshakeHangsIsGivenUpAfterTheTimeout() async throws {
        let pki = try await TestPKI.generate()
        defer { pki.remove() }
        let silent = Self.silentListener()
        defer { close(silent.fd) }
        try await Self.withTLSCluster(pki, ca: [pki.caCertificateFile]) { harness in
            let target = try await harness.makeDiagram(on: 0)
            // The directory names a node "ghost" at the silent listener as the diagram's owner.
            let redis = try RedisClient(url: harness.redis.url)
            _ = try await redis.send(
                RedisCommand(
                    "SET", "tmi:node:ghost", "i-ghost https://127.0.0.1:\(silent.port)", "PX", "120000"))
            _ = try await redis.send(
                RedisCommand("SET", "tmi:owner:\(target.diagram)", "ghost 1", "PX", "120000"))
            await redis.close()

            async let write = Self.patch(
                harness, node: 0, target, cell: "d0000000-0000-4000-8000-000000000016")
            let connection = try await DiagramClient.connect(
                port: harness.node(0).port,
                target: ClusterEditor.path(target, user: "editor1", base: nil, harness),
                email: "editor1@test.tmi", tls: harness.clientTLS)
            try await within(seconds: 60, "the hung relay to be given up") {
                while (try? await connection.nextMessage(seconds: 60)) != nil {}
            }
            #expect(connection.closeCode == 1012)
            let reply = try await write
            #expect(reply.status == 503)
            #expect(reply.json["error"] == "cluster_unavailable")
            // The log sink writes in the background: wait for each line.
            try await ClusterFaultsEndToEndTests.waitForLog(
                harness, 0, "\"msg\":\"relay to owner failed\",\"owner\":\"ghost\"")
            try await ClusterFaultsEndToEndTests.waitForLog(
                harness, 0, "\"msg\":\"forward to owner failed\",\"owner\":\"ghost\"")
            let database = try await harness.databaseDiagram(model: target.model, diagram: target.diagram)
            #expect(database.revision == 0 && database.cells.isEmpty)
        }
    }

    @Test(
        .enabled(
            if: canRun && ClusterLoadToolEndToEndTests.loadTool != nil,
            "needs tmi-server, tmi-loadtest, PostgreSQL, redis-server and openssl"))
    func theLoadToolDrivesThreeTLSNodesOverHTTPSAndConverges() async throws {
        let tool = try #require(ClusterLoadToolEndToEndTests.loadTool)
        let pki = try await TestPKI.generate()
        defer { pki.remove() }
        let ca = pki.caCertificateFile
        try await Self.withTLSCluster(pki, ca: [ca, ca, ca], firstNodeIsIssuer: true) { harness in
            let json = try await harness.loadToolReport(tool, extraArguments: ["--ca-file", ca])
            #expect(json["converged"] == true)
            #expect(json["config"]?["url"]?.stringValue?.hasPrefix("https://") == true)
            #expect((json["delivery_latency_relayed_ms"]?["count"]?.doubleValue ?? 0) > 0)
            #expect((json["delivery_latency_direct_ms"]?["count"]?.doubleValue ?? 0) > 0)
            for i in 0..<3 { #expect(!harness.log(i).contains("relay to owner failed")) }
        }
    }
}
