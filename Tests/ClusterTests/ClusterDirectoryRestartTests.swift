import Foundation
import TestSupport
import Testing
import WireProtocol

@testable import Cluster

@Suite("Cluster directory across a Redis restart", .serialized)
struct ClusterDirectoryRestartTests {
    @Test func redisDownSignalsLossRefusesAcquisitionAndRecoversWhenItIsBack() async throws {
        guard RedisTestServer.shouldRun else { return }
        let server = try await RedisTestServer.start()
        let h = DirectoryHarness(url: server.url)
        do {
            let a = try await h.directory("node-a", ttl: .seconds(2))
            let losses = LossRecorder()
            let lease = try #require(try await a.acquire(diagramID: "d", onLost: losses.callback).lease)
            // Ready before the outage. Polled, not read once: on a starved machine the 2 s
            // registration can lapse for a moment before its renewal runs.
            #expect(try await Self.becomesReady(a))
            try await server.halt()
            // The lease keeps running until it would lapse, then its loss is signalled.
            let reason = await lease.waitUntilEnded()
            guard case .cannotRenew = reason else {
                Issue.record("expected cannotRenew, got \(reason)")
                throw CancellationError()
            }
            #expect(!a.isReady)
            #expect(await a.checkReadiness() == false)
            do {
                _ = try await a.acquire(diagramID: "other")
                Issue.record("acquired while Redis was down")
            } catch {
                #expect(error.isUnavailable, "\(error)")
            }
            // Back (empty: no persistence): the node registers again and can own sessions, and
            // the fencing token still rises although Redis lost its counter.
            try await server.resume()
            try await a.redis.waitUntilAvailable(timeout: .seconds(10))
            #expect(try await Self.becomesReady(a))
            let again = try #require(try await a.acquire(diagramID: "d").lease)
            #expect(again.fencingToken > lease.fencingToken)
            #expect(again.isValid)
            #expect(losses.reasons.withLock { $0.count } == 1)
        } catch is CancellationError {
        } catch {
            Issue.record("\(error)")
        }
        await h.close()
        await server.remove()
    }

    /// Readiness confirmed by a PING within about 5 s of polling.
    static func becomesReady(_ directory: ClusterDirectory) async throws -> Bool {
        for _ in 0..<100 {
            if await directory.checkReadiness() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }
}
