import Glibc
import TestSupport
import Testing

@testable import WireProtocol

/// Abuse limits of the HTTP server (docs/fuzzing.md): slow heads, connection floods, one address
/// taking every slot. Each limit is configured small so the test observes it directly; no test
/// sleeps or asserts on elapsed time.
@Suite struct HTTPServerAbuseTests {
    static let get = "GET / HTTP/1.1\r\nHost: x\r\n\r\n"

    /// Slowloris: hundreds of connections each send a header byte now and then and never finish
    /// the head. The head timeout runs from the first byte (trickling does not extend it), so every
    /// one is answered 408 or closed. (What the server's memory does meanwhile is measured on a
    /// server process of its own, `SlowlorisEndToEndTests`: this process runs other tests at once.)
    @Test func slowlorisConnectionsAreClosedByTheHeadTimeout() async throws {
        let (server, port) = try await startServer(EchoResponder()) { $0.headTimeout = .seconds(1) }
        let count = 300
        let results = try await Slowloris.run(port: port, count: count)
        #expect(results.count == count)
        #expect(results.allSatisfy { $0 == "HTTP/1.1 408" || $0 == "closed" }, "\(Set(results))")
        await server.shutdown()
    }

    /// Past `maxConnections` a new connection gets 503 with a JSON error and is closed, while the
    /// connections already open keep being served.
    @Test func connectionFloodPastTheLimitIsRefusedCleanly() async throws {
        let limit = 8
        let (server, port) = try await startServer(EchoResponder()) { $0.maxConnections = limit }
        var users: [RawClient] = []
        for _ in 0..<limit {
            var user = try await RawClient.connect(port)
            try await user.send(Self.get)
            #expect(try await user.readResponse()?.status == 200)
            users.append(user)
        }
        for _ in 0..<40 {
            var extra = try await RawClient.connect(port)
            let response = try await extra.readResponse()
            #expect(response?.status == 503)
            #expect(response?.headers["content-type"] == "application/json")
            let body = String(decoding: response?.body ?? [], as: UTF8.self)
            #expect(body.contains(#""error":"service_unavailable""#))
            #expect(await extra.closesWithoutMoreBytes())
            extra.connection.close()
        }
        for i in users.indices {
            try await users[i].send(Self.get)
            #expect(try await users[i].readResponse()?.status == 200)
        }
        #expect(server.connectionCount == limit)
        await server.shutdown()
    }

    /// One client address may hold at most `maxConnectionsPerIP` connections.
    @Test func perAddressCapRefusesTheExtraConnectionsOfOneAddress() async throws {
        let (server, port) = try await startServer(EchoResponder()) { $0.maxConnectionsPerIP = 3 }
        var users: [RawClient] = []
        for _ in 0..<3 {
            var user = try await RawClient.connect(port)
            try await user.send(Self.get)
            #expect(try await user.readResponse()?.status == 200)
            users.append(user)
        }
        var extra = try await RawClient.connect(port)
        let refused = try await extra.readResponse()
        #expect(refused?.status == 503)
        let text = String(decoding: refused?.body ?? [], as: UTF8.self)
        #expect(text.contains("from your address"))
        extra.connection.close()
        for i in users.indices {
            try await users[i].send(Self.get)
            #expect(try await users[i].readResponse()?.status == 200)
        }
        await server.shutdown()
    }

    @Test func clientAddressIsThePeerWithoutItsPort() {
        #expect(HTTPServer.clientAddress("127.0.0.1:5000") == "127.0.0.1")
        #expect(HTTPServer.clientAddress("[::1]:443") == "::1")
        #expect(HTTPServer.clientAddress("[2001:db8::1]:80") == "2001:db8::1")
    }
}
