import Synchronization
import Testing
import WireProtocol

@testable import RESTGateway

/// Forwards between nodes reuse kept-alive connections (`PeerClientPool`); a peer here is a
/// plain `HTTPServer` that answers with the id of the connection each request came on.
@Suite struct PeerClientPoolTests {
    /// Holds requests until `count` have arrived, then answers them all.
    final class Barrier: Sendable {
        let count: Int
        let waiting = Mutex<[CheckedContinuation<Void, Never>]>([])

        init(count: Int) { self.count = count }

        func arrive() async {
            await withCheckedContinuation { c in
                let all = waiting.withLock { w -> [CheckedContinuation<Void, Never>] in
                    w.append(c)
                    return w.count == count ? w : []
                }
                for waiter in all { waiter.resume() }
            }
        }
    }

    /// Reports the connection in the body; `close` in the target makes it end the connection,
    /// `wait` holds it at the barrier.
    struct ConnectionReporter: HTTPResponder {
        var barrier: Barrier?

        func respond(to request: HTTPRequest, connection: HTTPConnectionInfo) async -> HTTPResponse {
            if request.target.hasSuffix("wait"), let barrier { await barrier.arrive() }
            var headers = HTTPHeaders([("Content-Type", "text/plain")])
            if request.target.hasSuffix("close") { headers.add("Connection", "close") }
            return HTTPResponse(status: 200, headers: headers, body: Array(String(connection.id).utf8))
        }
    }

    static func peer(barrier: Barrier? = nil) async throws -> (HTTPServer, PeerEndpoint) {
        let server = HTTPServer(
            configuration: HTTPServer.Configuration(host: "127.0.0.1", port: 0),
            responder: ConnectionReporter(barrier: barrier))
        let port = try await server.start()
        return (server, PeerEndpoint(tls: false, host: "127.0.0.1", port: port))
    }

    static func connection(_ pool: PeerClientPool, _ peer: PeerEndpoint, _ target: String = "/") async throws
        -> String
    {
        let answer = try await pool.send(
            HTTPRequest(method: "PATCH", target: target, body: Array("{}".utf8)), to: peer)
        #expect(answer.status == 200)
        return answer.text
    }

    @Test func sequentialForwardsShareOneConnection() async throws {
        let (server, peer) = try await Self.peer()
        let pool = PeerClientPool(tls: nil, timeout: .seconds(10))
        var seen: Set<String> = []
        for _ in 0..<5 { seen.insert(try await Self.connection(pool, peer)) }
        #expect(seen.count == 1)
        #expect(pool.idleCount(peer) == 1)
        await pool.close()
        await server.shutdown()
    }

    @Test func aConnectionThePeerEndsIsReplaced() async throws {
        let (server, peer) = try await Self.peer()
        let pool = PeerClientPool(tls: nil, timeout: .seconds(10))
        let first = try await Self.connection(pool, peer, "/close")
        let second = try await Self.connection(pool, peer)
        let third = try await Self.connection(pool, peer)
        #expect(first != second)
        #expect(second == third)
        await pool.close()
        await server.shutdown()
    }

    @Test func concurrentForwardsOpenMoreButKeepAtMostTheBound() async throws {
        let count = PeerClientPool.maxIdlePerPeer * 3
        let (server, peer) = try await Self.peer(barrier: Barrier(count: count))
        let pool = PeerClientPool(tls: nil, timeout: .seconds(10))
        // Every request waits for the others before answering: `count` connections at once.
        let ids = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<count { group.addTask { try await Self.connection(pool, peer, "/wait") } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(ids.count == count)
        #expect(pool.idleCount(peer) == PeerClientPool.maxIdlePerPeer)
        // The next forward reuses one of them.
        #expect(ids.contains(try await Self.connection(pool, peer)))
        await pool.close()
        #expect(pool.idleCount(peer) == 0)
        // A closed pool still forwards, on connections of their own.
        _ = try await Self.connection(pool, peer)
        #expect(pool.idleCount(peer) == 0)
        await server.shutdown()
    }

    @Test func anIdleConnectionPastItsTimeIsNotReused() async throws {
        let (server, peer) = try await Self.peer()
        let pool = PeerClientPool(tls: nil, timeout: .seconds(10), maxIdleTime: .zero)
        let first = try await Self.connection(pool, peer)
        let second = try await Self.connection(pool, peer)
        #expect(first != second)
        #expect(pool.idleCount(peer) == 1)
        await pool.close()
        await server.shutdown()
    }

    @Test func anUnreachablePeerFailsAndLeavesNothingIdle() async throws {
        let (server, peer) = try await Self.peer()
        await server.shutdown()
        let pool = PeerClientPool(tls: nil, timeout: .seconds(10))
        await #expect(throws: HTTPClientError.self) { _ = try await Self.connection(pool, peer) }
        #expect(pool.idleCount(peer) == 0)
    }
}
