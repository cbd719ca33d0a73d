import CollabCore
import Foundation
import Synchronization
import TestSupport
import Testing

/// Issue 14 "Must show": three `tmi-server` nodes share one PostgreSQL and one Redis; 30 editors
/// spread over them edit one diagram (editors on non-owners are relayed to the owner); the
/// owner is killed with SIGKILL mid-stream; editors reconnect through the survivors (one takes
/// the expired lease and loads the session from PostgreSQL) and go on. After quiescence every
/// editor, every surviving node's REST view and the database hold the same cells; every
/// acknowledged addition is present; and the revision equals the number of distinct
/// acknowledged operations, so none was applied twice (operation ids survive the failover).
@Suite(.serialized) struct ClusterFailoverEndToEndTests {
    static let editors = 30
    static let opsBefore = 2
    static let opsAfter = 3
    /// Acknowledgements after the second phase starts at which the owner is killed.
    static let killAfter = 15

    static var seeds: [UInt64] {
        let n = ProcessInfo.processInfo.environment["TMI_CLUSTER_SEEDS"].flatMap { Int($0) } ?? 20
        return (1...max(1, n)).map { UInt64($0) }
    }

    static var canRun: Bool {
        ServerBinary.path != nil && TestDatabase.shouldRun && RedisTestServer.shouldRun
    }

    @Test(.enabled(if: canRun, "needs tmi-server, PostgreSQL and redis-server"), arguments: seeds)
    func thirtyEditorsOnThreeNodesSurviveAKillNineOfTheOwner(seed: UInt64) async throws {
        try await ClusterHarness.start(nodes: 3).running { try await run(seed: seed, $0) }
    }

    func run(seed: UInt64, _ harness: ClusterHarness) async throws {
        let target = try await harness.makeDiagram(on: Int(seed % 3))
        var editors: [ClusterEditor] = []
        for i in 0..<Self.editors {
            editors.append(
                try await ClusterEditor.join(index: i, target: target, node: i % 3, harness: harness))
        }
        // Every node's listing names the session's owner (published every third of the TTL).
        _ = try await within(seconds: 30, "the session in the cluster listing") {
            while true {
                if let n = try await harness.owner(of: target.diagram, via: 1) { return n }
                try await Task.sleep(for: .milliseconds(50))
            }
        }

        // Phase 1: everyone edits and is acknowledged.
        try await Self.everyone(editors, seed: seed) { editor, rng in
            for _ in 0..<Self.opsBefore {
                try editor.edit(using: &rng)
                while editor.pending.count >= 2 { try await editor.step(harness) }
            }
            while !editor.pending.isEmpty { try await editor.step(harness) }
        }
        let beforeKill = Set(editors.flatMap(\.acknowledged))
        #expect(beforeKill.count == Self.editors * Self.opsBefore)
        // The owner now, as Redis says: the node that will be killed.
        let ownerValue = try #require(await harness.ownerKey(target.diagram))
        let owner = try #require(Int(ownerValue.dropFirst().prefix { $0 != " " }))
        // Editors still on their first connection, relayed to the owner.
        let relayed = editors.filter { $0.reconnects == 0 && $0.node != owner }.map(\.index)

        // Phase 2: the owner dies while operations are in flight.
        let acks = Mutex(0)
        let killedAt = Mutex<ContinuousClock.Instant?>(nil)
        try await Self.everyone(editors, seed: seed &+ 1000) { editor, rng in
            for _ in 0..<Self.opsAfter {
                try editor.edit(using: &rng)
                while editor.pending.count >= 2 {
                    let before = editor.acknowledged.count
                    try await editor.step(harness)
                    let gained = editor.acknowledged.count - before
                    if gained > 0 {
                        let total = acks.withLock { a in
                            a += gained
                            return a
                        }
                        if total >= Self.killAfter && total - gained < Self.killAfter {
                            killedAt.withLock { $0 = .now }
                            harness.killNow(owner)
                        }
                    }
                }
            }
            while !editor.pending.isEmpty { try await editor.step(harness) }
        }
        #expect(harness.dead.withLock { $0 } == [owner], "the owner was not killed mid-stream")
        // Reported for BENCHMARKS.md (kill to the first operation a new owner acknowledged, as
        // the clients saw it, reconnect backoff included); not asserted.
        if let killed = killedAt.withLock({ $0 }),
            let first = editors.compactMap(\.firstAckAfterReconnect).min()
        {
            let ms =
                Double((first - killed).components.attoseconds) / 1e15
                + Double((first - killed).components.seconds) * 1000
            print(
                "cluster failover seed \(seed): \(Int(ms)) ms from kill -9 to the first acknowledged operation"
                    + " (lease TTL \(harness.leaseTTL) ms)")
        }

        // Quiescence: the survivors' view of the diagram, then every editor catches up to it.
        let survivor = harness.alive[0]
        let final = try await harness.call(
            survivor, "GET", "/threat_models/\(target.model)/diagrams/\(target.diagram)")
        try #require(final.status == 200)
        let revision = Int64(final.json["update_vector"]?.doubleValue ?? -1)
        try await Self.everyone(editors, seed: seed) { editor, _ in
            while editor.confirmed.revision < revision { try await editor.step(harness) }
        }
        let database = try await harness.databaseDiagram(model: target.model, diagram: target.diagram)
        #expect(Int64(database.revision) == revision)
        for n in harness.alive {
            let view = try await harness.call(
                n, "GET", "/threat_models/\(target.model)/diagrams/\(target.diagram)")
            #expect(
                Self.cells(view.json["cells"]) == database.cells,
                "node \(n)'s REST view differs from the database")
            #expect(Int64(view.json["update_vector"]?.doubleValue ?? -1) == revision)
        }
        for e in editors {
            #expect(e.confirmed.revision == revision)
            #expect(Self.cells(.array(e.confirmed.cells)) == database.cells, "editor \(e.index) differs")
        }
        // Exactly once: every acknowledged addition is there, and the revision counts each
        // acknowledged operation once (a resent operation applied twice would add one).
        let acknowledged = Set(editors.flatMap(\.acknowledged))
        #expect(beforeKill.isSubset(of: acknowledged))
        for e in editors {
            for (op, cell) in e.addedCells where e.acknowledged.contains(op) {
                #expect(database.cells[cell] != nil, "acknowledged addition \(op) (cell \(cell)) is missing")
            }
        }
        #expect(
            Int64(acknowledged.count) == revision,
            "\(acknowledged.count) acknowledged operations, revision \(revision)")
        #expect(editors.contains { $0.reconnects > 0 })
        // The node-to-node links broke with the owner: every relayed editor was told 1012.
        for e in editors where relayed.contains(e.index) {
            #expect(e.closeCodes.first == 1012, "relayed editor \(e.index) saw \(e.closeCodes)")
        }
        #expect(!relayed.isEmpty)
    }

    static func cells(_ v: JSONValue?) -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for c in v?.arrayValue ?? [] { if let id = c["id"]?.stringValue { out[id] = c } }
        return out
    }

    /// Runs `body` for every editor concurrently, each with its own seeded generator.
    static func everyone(
        _ editors: [ClusterEditor], seed: UInt64,
        _ body: @escaping @Sendable (ClusterEditor, inout SplitMix64) async throws -> Void
    ) async throws {
        try await within(seconds: 120, "every editor") {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for e in editors {
                    group.addTask {
                        var rng = SplitMix64(seed: seed &* 7919 &+ UInt64(e.index))
                        try await body(e, &rng)
                    }
                }
                try await group.waitForAll()
            }
        }
    }
}
