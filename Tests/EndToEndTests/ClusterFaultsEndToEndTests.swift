import CollabCore
import Foundation
import TestSupport
import Testing
import WireProtocol

/// Issue 14's faults, each with real `tmi-server` processes, PostgreSQL and redis-server:
/// a frozen owner past its lease (fencing), a Redis restart, a wrong cluster secret, and a
/// duplicate node id. Waits are on observable state (Redis keys, readiness, close frames), each
/// with a deadline.
@Suite(.serialized) struct ClusterFaultsEndToEndTests {
    static var canRun: Bool { ClusterFailoverEndToEndTests.canRun }

    static func withCluster(
        nodes: Int, secrets: [Int: String] = [:], _ body: (ClusterHarness) async throws -> Void
    ) async throws {
        try await ClusterHarness.start(nodes: 0).running { harness in
            for i in 0..<nodes { try await harness.startNode(i, secret: secrets[i]) }
            try await body(harness)
        }
    }

    /// Sends an edit and waits for its acknowledgement.
    static func acknowledgedEdit(_ e: ClusterEditor, _ harness: ClusterHarness, seed: UInt64) async throws {
        var rng = SplitMix64(seed: seed)
        try e.edit(using: &rng)
        try await within(seconds: 30, "editor \(e.index)'s acknowledgement") {
            while !e.pending.isEmpty { try await e.step(harness) }
        }
    }

    /// Reads an editor's connection until it closes (without reconnecting); the messages are applied.
    static func readUntilClosed(_ e: ClusterEditor) async throws {
        try await within(seconds: 30, "editor \(e.index)'s connection to close") {
            while let m = try? await e.connection.nextMessage(seconds: 30) { e.apply(m) }
        }
    }

    @Test(.enabled(if: canRun, "needs tmi-server, PostgreSQL and redis-server"))
    func aFrozenOwnerPastItsLeaseHasItsLateWritesRefusedAndItsClientsReconnect() async throws {
        try await Self.withCluster(nodes: 2) { harness in
            let target = try await harness.makeDiagram(on: 1)
            let a = try await ClusterEditor.join(index: 0, target: target, node: 0, harness: harness)
            try await Self.acknowledgedEdit(a, harness, seed: 1)
            #expect(await harness.ownerKey(target.diagram)?.hasPrefix("n0 ") == true)

            let frozen = harness.node(0).pid
            kill(frozen, SIGSTOP)
            try await within(seconds: 30, "the owner to be stopped") {
                // Polling /proc: SIGSTOP takes effect asynchronously.
                while !Self.isStopped(frozen) { try await Task.sleep(for: .milliseconds(5)) }
            }
            // Sent while the owner is frozen: it reaches the owner only after SIGCONT.
            var rng = SplitMix64(seed: 2)
            try a.edit(using: &rng)
            let late = try #require(a.pending.first)
            try await within(seconds: 30, "the frozen owner's lease to expire") {
                while await harness.ownerKey(target.diagram)?.hasPrefix("n0 ") ?? false {
                    try await Task.sleep(for: .milliseconds(50))  // polling Redis's key
                }
            }
            let b = try await ClusterEditor.join(index: 1, target: target, node: 1, harness: harness)
            try await Self.acknowledgedEdit(b, harness, seed: 3)
            #expect(await harness.ownerKey(target.diagram)?.hasPrefix("n1 ") == true)

            kill(harness.node(0).pid, SIGCONT)
            try await Self.readUntilClosed(a)
            #expect(a.connection.closeCode == 1012, "the old owner's client was not told to reconnect")
            #expect(
                !a.acknowledged.contains(late.id), "the old owner acknowledged a write after losing its lease"
            )
            let database = try await harness.databaseDiagram(model: target.model, diagram: target.diagram)
            if let cell = a.addedCells[late.id] {
                #expect(database.cells[cell] == nil, "the old owner's late write reached the database")
            }
            #expect(database.revision == 2)

            // The old owner's client reconnects, reaches the new owner, and its resend is applied once.
            try await a.reconnect(harness)
            try await within(seconds: 30, "the resent operation") {
                while !a.pending.isEmpty { try await a.step(harness) }
            }
            try await Self.acknowledgedEdit(b, harness, seed: 4)
            let after = try await harness.databaseDiagram(model: target.model, diagram: target.diagram)
            #expect(after.revision == 2 + Int(a.acknowledged.contains(late.id) ? 1 : 0) + 1)
        }
    }

    /// Waits until node `i` has logged `text` (its log is written as it happens, not at exit).
    static func waitForLog(_ harness: ClusterHarness, _ i: Int, _ text: String) async throws {
        try await within(seconds: 30, "node \(i) to log '\(text)'") {
            // Polling the log file.
            while !harness.log(i).contains(text) { try await Task.sleep(for: .milliseconds(20)) }
        }
    }

    /// Whether every thread of `pid` is stopped (state `T` in `/proc/PID/task/*/stat`).
    static func isStopped(_ pid: Int32) -> Bool {
        guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else {
            return false
        }
        return tasks.allSatisfy { task in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return false }
            return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("T")
        }
    }

    @Test(.enabled(if: canRun, "needs tmi-server, PostgreSQL and redis-server"))
    func aRedisRestartRefusesNewSessionsStopsOwnedOnesAtTheirLeaseAndRecovers() async throws {
        try await Self.withCluster(nodes: 2) { harness in
            let target = try await harness.makeDiagram(on: 0)
            let other = try await harness.makeDiagram(on: 0)
            let a = try await ClusterEditor.join(index: 0, target: target, node: 0, harness: harness)
            try await Self.acknowledgedEdit(a, harness, seed: 1)
            #expect(try await harness.call(1, "GET", "/readyz").status == 200)

            try await harness.redis.halt()
            try await within(seconds: 30, "readiness to turn false") {
                while try await harness.call(1, "GET", "/readyz").status != 503 {
                    try await Task.sleep(for: .milliseconds(50))  // polling the endpoint
                }
            }
            let refused = try await harness.call(
                1, "POST", "/threat_models/\(other.model)/diagrams/\(other.diagram)/collaborate")
            #expect(refused.status == 503)
            #expect(refused.json["error"]?.stringValue == "cluster_unavailable")
            // The session owned when Redis went away stops once its lease could have lapsed,
            // telling its participants why.
            try await Self.readUntilClosed(a)
            #expect(a.connection.closeCode == 1012)

            try await harness.redis.resume()
            try await within(seconds: 30, "readiness to come back") {
                while try await harness.call(1, "GET", "/readyz").status != 200 {
                    try await Task.sleep(for: .milliseconds(50))  // polling the endpoint
                }
            }
            try await a.reconnect(harness)
            try await Self.acknowledgedEdit(a, harness, seed: 2)
            let database = try await harness.databaseDiagram(model: target.model, diagram: target.diagram)
            #expect(database.revision == Int(a.confirmed.revision))
            #expect(ClusterFailoverEndToEndTests.cells(.array(a.confirmed.cells)) == database.cells)
        }
    }

    @Test(.enabled(if: canRun, "needs tmi-server, PostgreSQL and redis-server"))
    func aRelayWithTheWrongClusterSecretIsRefusedAndLogged() async throws {
        try await Self.withCluster(nodes: 2, secrets: [1: "a-different-secret-0000"]) { harness in
            let target = try await harness.makeDiagram(on: 0)
            let a = try await ClusterEditor.join(index: 0, target: target, node: 0, harness: harness)
            try await Self.acknowledgedEdit(a, harness, seed: 1)
            // Node 1 relays to the owner with a signature the owner cannot verify.
            let connection = try await DiagramClient.connect(
                port: harness.node(1).port,
                target: ClusterEditor.path(target, user: "editor1", base: nil, harness),
                email: "editor1@test.tmi")
            let joined = try await within(seconds: 30, "the refused relay to close") {
                var joined = false
                while let m = try? await connection.nextMessage(seconds: 30) {
                    if m["message_type"] == "diagram_state_sync" { joined = true }
                }
                return joined
            }
            #expect(!joined)
            #expect(connection.closeCode == 1012)
            try await Self.waitForLog(harness, 0, "relay handshake refused")
        }
    }

    @Test(.enabled(if: canRun, "needs tmi-server, PostgreSQL and redis-server"))
    func aDuplicateNodeIDRefusesToStart() async throws {
        try await Self.withCluster(nodes: 1) { harness in
            let directory = LiveServer.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            await #expect(throws: ChildServer.StartFailed.self) {
                _ = try await ChildServer.start(
                    binary: harness.binary, dataDirectory: directory, arguments: harness.arguments(0),
                    stderrPath: directory + "/err.log")
            }
            let log = (try? String(contentsOfFile: directory + "/err.log", encoding: .utf8)) ?? ""
            #expect(log.contains("node id 'n0' is already in use"), "\(log)")
        }
    }
}
