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
            #expect(a.isReady)
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
            var ready = false
            for _ in 0..<100 where !ready {
                ready = await a.checkReadiness()
                if !ready { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(ready)
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
}
