import CollabCore
import FoundationEssentials
import Testing

@testable import SessionActors

/// Randomized multi-client simulations (DESIGN §9): clients edit one diagram concurrently through
/// a session, with delayed and interleaved delivery in both directions; after quiescence every
/// client's cells equal the server's.
@Suite struct ConvergenceTests {
    static let initial: [JSONValue] = [
        [
            "id": "10000000-0000-4000-8000-000000000000", "shape": "process", "x": 0, "y": 0, "width": 80,
            "height": 40,
            "attrs": ["text": ["text": "a"]],
        ],
        [
            "id": "10000000-0000-4000-8000-000000000001", "shape": "store", "x": 100, "y": 0, "width": 80,
            "height": 40,
        ],
        [
            "id": "10000000-0000-4000-8000-000000000002", "shape": "edge",
            "source": ["cell": "10000000-0000-4000-8000-000000000000"],
            "target": ["cell": "10000000-0000-4000-8000-000000000001"],
        ],
    ]

    /// The seeds: a fixed list, so a failure names its seed and replays exactly. CI runs 1,000;
    /// `TMI_CONVERGENCE_SCHEDULES=100000 swift test --filter ConvergenceTests` runs more locally.
    static let seeds: [UInt64] = {
        let count =
            ProcessInfo.processInfo.environment["TMI_CONVERGENCE_SCHEDULES"].flatMap { Int($0) } ?? 1000
        return (0..<max(1000, count)).map { 0xC0FF_EE00 &+ UInt64($0) &* 7919 }
    }()

    @Test func randomSchedulesConverge() async {
        var failures: [UInt64] = []
        var seen: [String: Int] = [:]
        for seed in Self.seeds {
            let (converged, counts) = await Self.run(seed: seed)
            seen.merge(counts, uniquingKeysWith: +)
            if !converged { failures.append(seed) }
            if failures.count >= 5 { break }
        }
        #expect(failures.isEmpty, "schedules that did not converge: \(failures)")
        // The schedules reach every path of the client algorithm, not just the happy one.
        for path in [
            "diagram_operation", "diagram_state_sync", "operation_rejected:conflict_detected",
            "operation_rejected:validation_failed", "operation_rejected:no_state_change", "history_operation",
            "replayed_ack",
        ] {
            #expect(seen[path, default: 0] > 0, "no schedule produced \(path): \(seen)")
        }
    }

    /// One schedule. Returns whether every client converged on the server's cells, and what the
    /// clients saw.
    static func run(seed: UInt64, steps: Int = 30) async -> (Bool, [String: Int]) {
        var rng = SplitMix64(seed: seed)
        let cache = ParseCache()
        // A short log makes stale bases (and the state-sync path) happen in small schedules.
        var configuration = SessionConfiguration(
            cursorRate: 1000, engine: .init(logCapacity: Int.random(in: 3...12, using: &rng)))
        configuration.logEntriesPerParticipant = 0
        let session = SessionFixture.make(cells: initial, configuration: configuration, validator: .spec)
        let clientCount = Int.random(in: 2...4, using: &rng)
        var clients: [SimulatedClient] = []
        for i in 0..<clientCount {
            var c = SimulatedClient(index: i, outbox: MemoryOutbox())
            _ = await session.join(
                ParticipantIdentity(connectionID: c.connectionID, user: c.user, role: .writer),
                outbox: c.outbox)
            c.process(cache: cache)
            clients.append(c)
        }
        for _ in 0..<steps {
            // CPU-bound: give the cooperative pool (one thread per core) back to other tests each
            // step, so parallel live-socket tests are not starved into their deadlines.
            await Task.yield()
            let i = Int.random(in: 0..<clientCount, using: &rng)
            switch Int.random(in: 0..<10, using: &rng) {
            case 0..<4:
                clients[i].edit(using: &rng)
            case 4..<7:
                // Deliver one of this client's messages to the server.
                guard !clients[i].outgoing.isEmpty else { continue }
                await session.receive(clients[i].outgoing.removeFirst(), from: clients[i].connectionID)
            case 7:
                clients[i].process(limit: Int.random(in: 1...4, using: &rng), cache: cache)
            case 8:
                clients[i].process(cache: cache)
            default:
                // Reconnects are rarer than other events.
                if Int.random(in: 0..<3, using: &rng) == 0 {
                    await reconnect(&clients[i], session, cache: cache)
                }
            }
        }
        // Quiescence: deliver everything both ways until nothing moves.
        var moved = true
        while moved {
            moved = false
            for i in clients.indices {
                while !clients[i].outgoing.isEmpty {
                    await session.receive(clients[i].outgoing.removeFirst(), from: clients[i].connectionID)
                    moved = true
                }
            }
            for i in clients.indices where clients[i].hasUnprocessed {
                clients[i].process(cache: cache)
                moved = true
            }
        }
        let server = await session.state
        let seen = clients.reduce(into: [String: Int]()) { $0.merge($1.seen, uniquingKeysWith: +) }
        guard Self.edgesAreWhole(server) else { return (false, seen) }
        for c in clients {
            guard c.pending.isEmpty, c.confirmed.revision == server.revision,
                Self.byID(c.confirmed) == Self.byID(server)
            else { return (false, seen) }
        }
        return (true, seen)
    }

    /// Drops the connection (undelivered messages are lost, as on a real disconnect) and joins
    /// again: the state sync replaces the confirmed state and the client resends what is pending.
    static func reconnect(_ client: inout SimulatedClient, _ session: DiagramSession, cache: ParseCache) async
    {
        await session.leave(connectionID: client.connectionID)
        client.outgoing.removeAll()
        client.connectionID = "conn-\(client.index)-\(client.counter)"
        client.counter += 1
        client.outbox = MemoryOutbox()
        client.consumed = 0
        // Every other reconnect resumes from the client's revision (the missed operations, when the
        // log still has them); the others start from a full state sync.
        let resume = client.counter % 2 == 0 ? client.confirmed.revision : nil
        _ = await session.join(
            ParticipantIdentity(connectionID: client.connectionID, user: client.user, role: .writer),
            outbox: client.outbox, resumeFrom: resume)
        client.process(cache: cache)  // the state sync, or the missed operations
        for p in client.pending {
            client.outgoing.append(
                DiagramOperationMessage(
                    operationID: p.id, initiatingUser: UserClaim(client.user),
                    baseVector: client.confirmed.revision,
                    cells: p.cells
                ).encoded())
        }
    }

    static func byID(_ s: DiagramState) -> [String: JSONValue] {
        Dictionary(uniqueKeysWithValues: s.cellIDs.map { ($0, s[$0]!) })
    }

    /// No edge may point at a cell that does not exist.
    static func edgesAreWhole(_ s: DiagramState) -> Bool {
        s.cells.allSatisfy { cell in EdgeEndpoints.of(cell).allSatisfy { s.contains($0) } }
    }

    @Test func convergenceCheckCanFail() async {
        // The check above is not vacuous: a client that misses one broadcast does not converge.
        let session = SessionFixture.make(cells: Self.initial)
        var a = SimulatedClient(index: 0, outbox: MemoryOutbox())
        var b = SimulatedClient(index: 1, outbox: MemoryOutbox())
        for c in [a, b] {
            _ = await session.join(
                ParticipantIdentity(connectionID: c.connectionID, user: c.user, role: .writer),
                outbox: c.outbox)
        }
        let cache = ParseCache()
        a.process(cache: cache)
        b.process(cache: cache)
        a.send([.update("10000000-0000-4000-8000-000000000000", ["x": 42])], base: a.confirmed.revision)
        await session.receive(a.outgoing.removeFirst(), from: a.connectionID)
        a.process(cache: cache)
        #expect(Self.byID(a.confirmed) == Self.byID(await session.state))
        #expect(Self.byID(b.confirmed) != Self.byID(await session.state))
    }
}
