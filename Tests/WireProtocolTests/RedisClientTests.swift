import Foundation
import TestSupport
import Testing

@testable import WireProtocol

/// A client of the shared test Redis (or a dedicated one), and a key prefix unique to the test
/// so tests running in parallel never see each other's keys.
private func withRedis(_ body: (RedisClient, String) async throws -> Void) async throws {
    guard RedisTestServer.shouldRun else { return }
    let (url, owned) = try await RedisTestServer.sharedOrStart()
    let client = try RedisClient(url: url)
    let prefix = "test:\(UUID().uuidString):"
    do {
        try await body(client, prefix)
    } catch {
        Issue.record("\(error)")
    }
    await client.close()
    await owned?.remove()
}

@Suite("Redis client against a real redis-server")
struct RedisClientTests {
    @Test func commandsRoundTripValues() async throws {
        try await withRedis { redis, p in
            #expect(try await redis.send(RedisCommand("SET", p + "k", "hello")) == .simpleString("OK"))
            #expect(try await redis.send(RedisCommand("GET", p + "k")).string == "hello")
            #expect(try await redis.send(RedisCommand("GET", p + "missing")) == .null)
            let binary: [UInt8] = (0...255).map { UInt8($0) }
            try await redis.send(RedisCommand(bytes: [Array("SET".utf8), Array((p + "b").utf8), binary]))
            #expect(try await redis.send(RedisCommand("GET", p + "b")).bytes == binary)
            try await redis.send(RedisCommand("RPUSH", p + "list", "a", "b", "c"))
            let list = try await redis.send(RedisCommand("LRANGE", p + "list", "0", "-1"))
            #expect(list.array?.compactMap(\.string) == ["a", "b", "c"])
        }
    }

    @Test func anErrorReplyIsThrownAndTheConnectionStaysUsable() async throws {
        try await withRedis { redis, p in
            try await redis.send(RedisCommand("SET", p + "s", "text"))
            await #expect(throws: RedisError.self) { try await redis.send(RedisCommand("INCR", p + "s")) }
            do {
                try await redis.send(RedisCommand("NOSUCHCOMMAND"))
            } catch {
                guard case .server(let message)? = error as? RedisError else { throw error }
                #expect(message.hasPrefix("ERR"))
            }
            #expect(try await redis.send(RedisCommand("INCR", p + "n")).integer == 1)
        }
    }

    @Test func aPipelineKeepsEachReplyEvenWhenOneFails() async throws {
        try await withRedis { redis, p in
            let replies = try await redis.pipeline([
                RedisCommand("SET", p + "x", "1"), RedisCommand("INCR", p + "x"),
                RedisCommand("LPUSH", p + "x", "no"),
                RedisCommand("GET", p + "x"),
            ])
            #expect(replies.count == 4)
            #expect(replies[0] == .simpleString("OK"))
            #expect(replies[1] == .integer(2))
            guard case .error(let message) = replies[2] else {
                Issue.record("expected WRONGTYPE, got \(replies[2])")
                return
            }
            #expect(message.hasPrefix("WRONGTYPE"))
            #expect(replies[3].string == "2")
        }
    }

    @Test func concurrentCallersShareTheConnectionAndEachGetsItsOwnReply() async throws {
        try await withRedis { redis, p in
            let values = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
                for i in 0..<300 {
                    group.addTask {
                        try await redis.send(RedisCommand("SET", p + "c\(i)", "v\(i)"))
                        try await redis.send(RedisCommand("INCR", p + "counter"))
                        return (i, try await redis.send(RedisCommand("GET", p + "c\(i)")).string)
                    }
                }
                var all: [Int: String?] = [:]
                for try await (i, v) in group { all[i] = v }
                return all
            }
            #expect(values.count == 300)
            #expect(values.allSatisfy { $0.value == "v\($0.key)" })
            #expect(try await redis.send(RedisCommand("GET", p + "counter")).string == "300")
        }
    }

    @Test func evalRunsAScriptAtomically() async throws {
        try await withRedis { redis, p in
            let script = "redis.call('SET', KEYS[1], ARGV[1]) return redis.call('INCRBY', KEYS[2], ARGV[2])"
            let reply = try await redis.eval(script, keys: [p + "a", p + "n"], arguments: ["x", "5"])
            #expect(reply == .integer(5))
            #expect(try await redis.send(RedisCommand("GET", p + "a")).string == "x")
        }
    }

    @Test func selectPicksTheDatabaseFromTheURL() async throws {
        guard RedisTestServer.shouldRun else { return }
        let (url, owned) = try await RedisTestServer.sharedOrStart()
        var three = try RedisConfiguration(url: url)
        three.database = 3
        let db3 = RedisClient(configuration: three)
        let db0 = try RedisClient(url: url)
        let key = "test:\(UUID().uuidString)"
        try await db3.send(RedisCommand("SET", key, "in three", "PX", "60000"))
        #expect(try await db3.send(RedisCommand("GET", key)).string == "in three")
        #expect(try await db0.send(RedisCommand("GET", key)) == .null)
        await db3.close()
        await db0.close()
        await owned?.remove()
    }

    @Test func publishedMessagesReachTheSubscriber() async throws {
        try await withRedis { redis, p in
            let subscriber = redis.subscriber()
            try await subscriber.subscribe([p + "news", p + "other"])
            #expect(try await redis.send(RedisCommand("PUBLISH", p + "news", "first")).integer == 1)
            try await redis.send(RedisCommand("PUBLISH", p + "other", "second"))
            var iterator = subscriber.messages.makeAsyncIterator()
            #expect(await iterator.next() == RedisMessage(channel: p + "news", payload: Array("first".utf8)))
            #expect(
                await iterator.next() == RedisMessage(channel: p + "other", payload: Array("second".utf8)))
            try subscriber.unsubscribe([p + "news"])
            subscriber.close()
            #expect(await iterator.next() == nil)
        }
    }
}

@Suite("Redis client: authentication, timeouts and restarts", .serialized)
struct RedisClientFaultTests {
    @Test func passwordAndACLUserLogInAndWrongOnesAreAuthenticationErrors() async throws {
        guard RedisTestServer.shouldRun else { return }
        let server = try await RedisTestServer.start(password: true)
        do {
            let withPassword = try RedisClient(url: server.url)
            try await withPassword.ping()
            await withPassword.close()
            let withUser = try RedisClient(url: try #require(server.userURL))
            #expect(try await withUser.send(RedisCommand("ACL", "WHOAMI")).string == "tmi")
            await withUser.close()

            var wrong = try RedisConfiguration(url: server.url)
            wrong.password = "Not-The-Password"
            let refused = RedisClient(configuration: wrong)
            do {
                try await refused.ping()
                Issue.record("logged in with a wrong password")
            } catch {
                guard case .authentication = error else { throw error }
                #expect(!error.description.contains("Not-The-Password"))
            }
            await refused.close()

            var none = wrong
            none.password = nil
            let anonymous = RedisClient(configuration: none)
            await #expect(throws: RedisError.self) { try await anonymous.ping() }
            do { try await anonymous.ping() } catch {
                guard case .authentication(let message) = error else { throw error }
                #expect(message.contains("NOAUTH"))
            }
            await anonymous.close()
        } catch {
            Issue.record("\(error)")
        }
        await server.remove()
    }

    @Test func aHungServerTimesCommandsOutAndTheirLateRepliesAreDropped() async throws {
        guard RedisTestServer.shouldRun else { return }
        let server = try await RedisTestServer.start()
        do {
            var configuration = try RedisConfiguration(url: server.url)
            configuration.commandTimeout = .milliseconds(300)
            let redis = RedisClient(configuration: configuration)
            try await redis.send(RedisCommand("SET", "k", "before"))
            try await server.freeze()
            await #expect(throws: RedisError.timedOut) {
                try await redis.send(RedisCommand("SET", "k", "during"))
            }
            await #expect(throws: RedisError.timedOut) { try await redis.send(RedisCommand("GET", "k")) }
            try await server.thaw()
            // The stream stays in step: this GET gets its own reply, not a late one.
            #expect(try await redis.send(RedisCommand("GET", "k"), timeout: .seconds(5)).string == "during")
            #expect(try await redis.send(RedisCommand("ECHO", "mine"), timeout: .seconds(5)).string == "mine")
            await redis.close()
        } catch {
            Issue.record("\(error)")
        }
        try? await server.thaw()
        await server.remove()
    }

    @Test func commandsFailFastWhileRedisIsDownAndWorkAgainAfterItIsBack() async throws {
        guard RedisTestServer.shouldRun else { return }
        let server = try await RedisTestServer.start()
        do {
            var configuration = try RedisConfiguration(url: server.url)
            configuration.reconnectBackoff = (.milliseconds(20), .milliseconds(200))
            let redis = RedisClient(configuration: configuration)
            let subscriber = redis.subscriber()
            try await subscriber.subscribe(["events"])
            try await redis.send(RedisCommand("SET", "k", "1"))
            try await server.halt()
            let failures = await withTaskGroup(of: RedisError?.self) { group in
                for _ in 0..<50 {
                    group.addTask {
                        do {
                            try await redis.send(RedisCommand("INCR", "k"))
                            return nil
                        } catch {
                            return error as? RedisError ?? .closed
                        }
                    }
                }
                var all: [RedisError?] = []
                for await e in group { all.append(e) }
                return all
            }
            #expect(
                failures.allSatisfy { $0?.isUnavailable == true }, "\(failures.compactMap { $0 }.prefix(3))")
            #expect(!redis.isAvailable)
            try await server.resume()
            try await redis.waitUntilAvailable(timeout: .seconds(10))
            #expect(try await redis.send(RedisCommand("INCR", "fresh")).integer == 1)
            // The subscriber subscribed again by itself: a message published now arrives.
            var delivered = false
            var iterator = subscriber.messages.makeAsyncIterator()
            for _ in 0..<200 where !delivered {
                if try await redis.send(RedisCommand("PUBLISH", "events", "back")).integer == 1 {
                    delivered = await iterator.next()?.payload == Array("back".utf8)
                } else {
                    try await Task.sleep(for: .milliseconds(25))
                }
            }
            #expect(delivered)
            #expect(subscriber.reconnections >= 1)
            subscriber.close()
            await redis.close()
        } catch {
            Issue.record("\(error)")
        }
        await server.remove()
    }
}
