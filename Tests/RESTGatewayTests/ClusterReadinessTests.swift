import Foundation
import TestSupport
import Testing
import WireProtocol

@testable import RESTGateway

/// A server started with `--redis-url` registers itself in the directory, reports Redis in
/// `/readyz`, and a second node with the same `--node-id` refuses to start.
@Suite(.serialized) struct ClusterReadinessTests {
    @Test func readinessFollowsRedisAndADuplicateNodeIDRefusesToStart() async throws {
        guard RedisTestServer.shouldRun, TestDatabase.shouldRun else {
            print("skipping the cluster readiness test: it needs redis-server and TMI_TEST_DATABASE_URL")
            return
        }
        let redis = try await RedisTestServer.start()
        let store = TestStore.postgresql(schema: TestDatabase.freshSchema())
        let configure: @Sendable (inout ServerConfiguration) -> Void = { c in
            c.redisURL = redis.url
            c.nodeID = "node-a"
            c.advertiseURL = "http://127.0.0.1:1"
            c.clusterSecret = "0123456789abcdef"
        }
        var first: LiveServer?
        do {
            let server = try await LiveServer.startWithIdentity(store: store, configure: configure)
            first = server
            #expect(try await server.call("GET", "/readyz", as: nil).status == 200)
            let client = try RedisClient(url: redis.url)
            let registration = try await client.send(RedisCommand("GET", "tmi:node:node-a")).string
            #expect(registration?.hasSuffix(" http://127.0.0.1:1") == true)
            await client.close()

            // Same node id while the first is alive: refused, naming the id.
            do {
                let second = try await LiveServer.startWithIdentity(store: store, configure: configure)
                Issue.record("a second node-a started")
                await second.stop()
            } catch {
                #expect("\(error)".contains("node id 'node-a' is already in use"), "\(error)")
            }

            try await redis.halt()
            let down = try await server.call("GET", "/readyz", as: nil)
            #expect(down.status == 503)
            #expect(down.json["error"]?.stringValue == "not_ready")
            #expect(down.json["error_description"]?.stringValue?.contains("Redis") == true)
            try await redis.resume()
            var status = 0
            for _ in 0..<200 where status != 200 {
                status = try await server.call("GET", "/readyz", as: nil).status
                if status != 200 { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(status == 200)
        } catch {
            Issue.record("\(error)")
        }
        await first?.stop()
        await store.destroy()
        await redis.remove()
    }
}
