import Foundation
import Testing
import WireProtocol

@testable import Cluster

@Suite("Cluster directory: leases and fencing tokens against a real redis-server")
struct ClusterDirectoryTests {
    @Test func twoNodesRaceForOneDiagramAndExactlyOneWins() async throws {
        try await DirectoryHarness.run { h in
            let a = try await h.directory("node-a")
            let b = try await h.directory("node-b")
            for round in 0..<5 {
                let diagram = "race-\(round)"
                let outcomes = try await withThrowingTaskGroup(of: (String, LeaseAcquisition).self) { group in
                    for i in 0..<20 {
                        let directory = i % 2 == 0 ? a : b
                        group.addTask { (directory.node.id, try await directory.acquire(diagramID: diagram)) }
                    }
                    var all: [(String, LeaseAcquisition)] = []
                    for try await outcome in group { all.append(outcome) }
                    return all
                }
                let winners = outcomes.filter { $0.1.lease != nil }
                #expect(winners.count == 1)
                guard let (winnerNode, acquisition) = winners.first, let lease = acquisition.lease else {
                    continue
                }
                for (_, other) in outcomes where other.lease == nil {
                    #expect(other.owner?.nodeID == winnerNode)
                    #expect(other.owner?.fencingToken == lease.fencingToken)
                    #expect(other.owner?.advertiseURL?.hasSuffix("/\(winnerNode)") == true)
                }
            }
        }
    }

    @Test func fencingTokensStrictlyIncreaseAcrossAcquisitions() async throws {
        try await DirectoryHarness.run { h in
            let a = try await h.directory("node-a")
            let b = try await h.directory("node-b")
            var tokens: [Int64] = []
            for round in 0..<8 {
                let directory = round % 2 == 0 ? a : b
                let lease = try #require(try await directory.acquire(diagramID: "d").lease)
                tokens.append(lease.fencingToken)
                #expect(try await b.owner(of: "d")?.nodeID == directory.node.id)
                await directory.release(lease)
                #expect(try await a.owner(of: "d") == nil)
                #expect(lease.endReason == .released)
            }
            #expect(zip(tokens, tokens.dropFirst()).allSatisfy { $0 < $1 }, "\(tokens)")
            // A floor from the store lifts the token above it.
            let floor = (tokens.last ?? 0) + 1_000_000
            let lifted = try #require(try await a.acquire(diagramID: "d", notBelow: floor).lease)
            #expect(lifted.fencingToken > floor)
        }
    }

    @Test func theOwnerAndItsAdvertiseURLAreVisibleToEveryNodeAndListed() async throws {
        try await DirectoryHarness.run { h in
            let a = try await h.directory("node-a")
            let b = try await h.directory("node-b")
            let one = try #require(try await a.acquire(diagramID: "one").lease)
            let two = try #require(try await b.acquire(diagramID: "two").lease)
            #expect(try await a.publish(info: #"{"participants":3}"#, for: one))
            let owner = try #require(try await b.owner(of: "one"))
            #expect(
                owner
                    == DiagramOwner(
                        diagramID: "one", nodeID: "node-a", advertiseURL: a.node.advertiseURL,
                        fencingToken: one.fencingToken))
            for directory in [a, b] {
                let sessions = try await directory.sessions()
                #expect(sessions.map(\.diagramID) == ["one", "two"])
                #expect(sessions.map(\.nodeID) == ["node-a", "node-b"])
                #expect(sessions.map(\.advertiseURL) == [a.node.advertiseURL, b.node.advertiseURL])
                #expect(sessions.map(\.info) == [#"{"participants":3}"#, ""])
                #expect(sessions.map(\.fencingToken) == [one.fencingToken, two.fencingToken])
            }
            #expect(try await a.liveNodes().map(\.id) == ["node-a", "node-b"])
            await b.release(two)
            #expect(try await a.sessions().map(\.diagramID) == ["one"])
            // A crashed owner's entry (its lease gone) is dropped from the listing.
            let redis = try h.redis()
            try await redis.send(RedisCommand("DEL", "\(h.prefix)owner:one"))
            #expect(try await b.sessions().isEmpty)
        }
    }

    @Test func compareAndRenewRefusesAfterATakeoverAndTheOldOwnerIsTold() async throws {
        try await DirectoryHarness.run { h in
            let a = try await h.directory("node-a")
            let b = try await h.directory("node-b")
            let losses = LossRecorder()
            let old = try #require(try await a.acquire(diagramID: "d", onLost: losses.callback).lease)
            // As if a's lease had expired while a was paused: b takes it.
            let redis = try h.redis()
            try await redis.send(RedisCommand("DEL", "\(h.prefix)owner:d"))
            let new = try #require(try await b.acquire(diagramID: "d").lease)
            #expect(new.fencingToken > old.fencingToken)
            #expect(await old.waitUntilEnded() == .lost)
            #expect(!old.isValid)
            #expect(losses.reasons.withLock { $0 } == [.lost])
            // a's renewal did not touch b's lease; b's keeps being renewed.
            #expect(
                try await redis.send(RedisCommand("GET", "\(h.prefix)owner:d")).string
                    == "node-b \(new.fencingToken)")
            #expect(new.isValid)
            #expect(a.lease(for: "d") == nil)
            #expect(try await a.acquire(diagramID: "d").owner?.nodeID == "node-b")
        }
    }

    @Test func anOwnerThatCannotRenewStopsBeforeItsLeaseLapsesAndAnotherTakesOverAfterExpiry() async throws {
        try await DirectoryHarness.run { h in
            // A long TTL: the check below must run within the third of it left after the signal
            // (over 3 s, so a starved test process on a loaded machine still makes it).
            let a = try await h.directory("node-a", ttl: .seconds(10))
            let b = try await h.directory("node-b", ttl: .seconds(10))
            let watcher = try h.redis()
            let losses = LossRecorder()
            let lease = try #require(try await a.acquire(diagramID: "d", onLost: losses.callback).lease)
            // Cut a off from Redis: its renewals fail from now on.
            await a.redis.close()
            let reason = await lease.waitUntilEnded()
            guard case .cannotRenew = reason else {
                Issue.record("expected cannotRenew, got \(reason)")
                return
            }
            #expect(!lease.isValid)
            // Signalled while Redis still held the lease: no one else could own it yet.
            let remaining = try await watcher.send(RedisCommand("PTTL", "\(h.prefix)owner:d")).integer ?? -2
            #expect(remaining > 0, "the lease had already lapsed when the loss was signalled")
            #expect(try await b.acquire(diagramID: "d").owner?.nodeID == "node-a")
            // After expiry b takes it over, with a greater token.
            var taken: DiagramLease?
            for _ in 0..<100 where taken == nil {
                switch try await b.acquire(diagramID: "d") {
                case .acquired(let l): taken = l
                case .ownedBy:
                    let pttl = try await watcher.send(RedisCommand("PTTL", "\(h.prefix)owner:d")).integer ?? 0
                    try await Task.sleep(for: .milliseconds(max(pttl, 10)))
                }
            }
            let successor = try #require(taken)
            #expect(successor.fencingToken > lease.fencingToken)
        }
    }

    @Test func aSecondNodeWithALiveNodesIDRefusesToStart() async throws {
        try await DirectoryHarness.run { h in
            let first = try await h.directory("same-id")
            let second = try await h.directory("same-id", start: false)
            await #expect(
                throws: ClusterDirectoryError.duplicateNode(
                    id: "same-id", advertiseURL: first.node.advertiseURL)
            ) {
                try await second.start()
            }
            #expect(first.isReady)
            #expect(!second.isReady)
            // Once the first has gone, the id is free.
            await first.stop()
            try await second.start()
            #expect(second.isReady)
        }
    }

    @Test func aCrashedPredecessorsRegistrationIsWaitedOutNotRefused() async throws {
        try await DirectoryHarness.run { h in
            let redis = try h.redis()
            // A registration nobody renews (its process died): it expires within its TTL.
            try await redis.send(
                RedisCommand("SET", "\(h.prefix)node:reborn", "dead http://old", "PX", "300"))
            let reborn = try await h.directory("reborn")
            #expect(reborn.isReady)
            #expect(
                try await redis.send(RedisCommand("GET", "\(h.prefix)node:reborn")).string?.hasSuffix(
                    reborn.node.advertiseURL) == true)
        }
    }

    @Test func invalidNodeIDsAndURLsAreRefused() {
        #expect(throws: ClusterDirectoryError.self) { try ClusterNode(id: "", advertiseURL: "http://a:1") }
        #expect(throws: ClusterDirectoryError.self) { try ClusterNode(id: "a b", advertiseURL: "http://a:1") }
        #expect(throws: ClusterDirectoryError.self) {
            try ClusterNode(id: String(repeating: "x", count: 65), advertiseURL: "http://a:1")
        }
        #expect(throws: ClusterDirectoryError.self) { try ClusterNode(id: "a", advertiseURL: "ftp://a:1") }
        #expect(throws: ClusterDirectoryError.self) { try ClusterNode(id: "a", advertiseURL: "http://a b:1") }
        #expect((try? ClusterNode(id: "node-1.eu_west", advertiseURL: "https://10.0.0.5:8443")) != nil)
    }
}
