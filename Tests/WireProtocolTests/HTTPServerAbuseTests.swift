import Glibc
import Testing

@testable import WireProtocol

/// Abuse limits of the HTTP server (docs/fuzzing.md): slow heads, connection floods, one address
/// taking every slot. Each limit is configured small so the test observes it directly; no test
/// sleeps or asserts on elapsed time.
@Suite struct HTTPServerAbuseTests {
    static let get = "GET / HTTP/1.1\r\nHost: x\r\n\r\n"

    /// Resident memory of this process in KiB (the server runs in it).
    static func residentKiB() -> Int {
        guard let file = fopen("/proc/self/statm", "r") else { return 0 }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        guard fgets(&line, Int32(line.count), file) != nil else { return 0 }
        let fields = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            .split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE))) / 1024
    }

    /// Slowloris: hundreds of connections each send a header byte now and then and never finish
    /// the head. The head timeout runs from the first byte (trickling does not extend it), so every
    /// one is answered 408 or closed, and the server's memory stays bounded meanwhile.
    @Test func slowlorisConnectionsAreClosedByTheHeadTimeout() async throws {
        let (server, port) = try await startServer(EchoResponder()) { $0.headTimeout = .seconds(1) }
        let before = Self.residentKiB()
        let count = 300
        let trickle =
            Array("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ".utf8)
            + Array(repeating: UInt8(ascii: "a"), count: 4096)
        let outcomes = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<count {
                group.addTask {
                    let connection = try await TCPConnection.connect(host: "127.0.0.1", port: port)
                    defer { connection.close() }
                    var buffer = [UInt8](repeating: 0, count: 1024)
                    // One byte, then another whenever the server has been quiet for a while; the
                    // read deadline is the pace of the trickle, not an assertion on time.
                    for byte in trickle {
                        do {
                            try await connection.write([byte])
                        } catch {
                            return "closed"
                        }
                        do {
                            let n = try await connection.read(
                                into: &buffer, deadline: .after(.milliseconds(200)))
                            if n == 0 { return "closed" }
                            return String(decoding: buffer[0..<min(n, 12)], as: UTF8.self)
                        } catch {
                            if (error as? StreamError) == .timedOut { continue }
                            return "closed"
                        }
                    }
                    return "never closed"
                }
            }
            var all: [String] = []
            var peak = 0
            for try await outcome in group {
                all.append(outcome)
                peak = max(peak, Self.residentKiB())
            }
            return (all, peak)
        }
        let after = Self.residentKiB()
        let (results, peak) = outcomes
        #expect(results.count == count)
        #expect(results.allSatisfy { $0 == "HTTP/1.1 408" || $0 == "closed" }, "\(Set(results))")
        print(
            "slowloris: \(count) connections; resident memory \(before / 1024) MiB before, "
                + "\(peak / 1024) MiB peak, \(after / 1024) MiB after (+\((peak - before) / count) KiB per connection)"
        )
        // Bounded: far below what a buffer of the whole head limit per connection would take.
        #expect(peak - before < count * 256)
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
