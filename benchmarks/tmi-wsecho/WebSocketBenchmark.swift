import Glibc
import Synchronization
import WireProtocol

/// Counts received messages and wakes a waiter when a target is reached.
final class Countdown: Sendable {
    private let state = Mutex<(count: Int, target: Int, waiter: CheckedContinuation<Void, Never>?)>((0, 0, nil))

    func reset(target: Int) { state.withLock { $0 = (0, target, nil) } }

    func hit() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.count += 1
            guard s.count == s.target, let w = s.waiter else { return nil }
            s.waiter = nil
            return w
        }
        waiter?.resume()
    }

    func wait() async {
        await withCheckedContinuation { (cont: CheckedContinuation<Void, Never>) in
            let done = state.withLock { s -> Bool in
                if s.count >= s.target { return true }
                s.waiter = cont
                return false
            }
            if done { cont.resume() }
        }
    }
}

struct WebSocketBenchmark {
    var host: String
    var port: Int
    var quick: Bool
    var only: String?
    var memoryPath = "/idle"

    var plain: WebSocketConfiguration {
        var c = WebSocketConfiguration()
        c.compression = nil
        c.pingInterval = nil
        return c
    }

    func run() async {
        do throws(WebSocketError) {
            if only == nil || only == "echo" { try await echo() }
            if only == nil || only == "broadcast" { try await broadcast() }
            if only == "memory-plain" { try await memory(compressed: false) }
            if only == "memory-deflate" { try await memory(compressed: true) }
        } catch {
            say("benchmark failed: \(error)", to: 2)
            exit(1)
        }
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }

    /// Sequential round trips of a 64-byte text message on `connections` connections at once.
    func echo() async throws(WebSocketError) {
        let perConnection = quick ? 2_000 : 20_000
        for (connections, compressed) in [(1, false), (16, false), (1, true)] {
            var config = plain
            if compressed { config.compression = PerMessageDeflateConfiguration() }
            let message = String(repeating: "e", count: 64)
            var rates: [Double] = []
            for _ in 0..<3 {
                var sockets: [WebSocketConnection] = []
                for _ in 0..<connections {
                    sockets.append(try await WebSocketClient.handshake(host: host, port: port, path: "/echo", configuration: config))
                }
                let start = ContinuousClock.now
                await withTaskGroup(of: Void.self) { group in
                    for ws in sockets {
                        group.addTask {
                            await ws.run { ws in
                                var iterator = ws.messages.makeAsyncIterator()
                                for _ in 0..<perConnection {
                                    guard (try? ws.send(text: message)) != nil, await iterator.next() != nil else { return }
                                }
                            }
                        }
                    }
                }
                let seconds = (ContinuousClock.now - start).seconds
                rates.append(Double(connections * perConnection) / seconds)
            }
            say("echo connections=\(connections) compressed=\(compressed) round_trips_per_s=\(Int(Self.median(rates)))")
        }
    }

    /// One 200-byte message broadcast by the server to 1,000 connections: time from the trigger
    /// until every client has received it.
    func broadcast() async throws(WebSocketError) {
        let count = 1_000
        var sockets: [WebSocketConnection] = []
        for _ in 0..<count {
            sockets.append(try await WebSocketClient.handshake(host: host, port: port, path: "/broadcast", configuration: plain))
        }
        let countdown = Countdown()
        var times: [Double] = []
        await withTaskGroup(of: Void.self) { group in
            for ws in sockets {
                group.addTask { await ws.run { ws in for await _ in ws.messages { countdown.hit() } } }
            }
            // Let the server's handlers join the hub, then warm up once.
            try? await Task.sleep(for: .milliseconds(500))
            for round in 0..<(quick ? 4 : 11) {
                countdown.reset(target: count)
                let start = ContinuousClock.now
                try? sockets[0].send(text: "go")
                await countdown.wait()
                if round > 0 { times.append((ContinuousClock.now - start).seconds * 1000) }
            }
            for ws in sockets { ws.close() }
        }
        let text = times.map { String(Int($0 * 1000)) }.joined(separator: ",")
        say("broadcast connections=\(count) bytes=200 median_ms=\(Self.median(times)) all_us=[\(text)]")
    }

    /// Server memory per idle connection: RSS before and after opening 1,000 connections to
    /// /idle (production defaults), and for compression again after one message each way.
    func memory(compressed: Bool) async throws(WebSocketError) {
        let count = 1_000
        var config = plain
        if compressed { config.compression = PerMessageDeflateConfiguration() }
        let before = await serverRSS()
        var sockets: [WebSocketConnection] = []
        for _ in 0..<count {
            sockets.append(try await WebSocketClient.handshake(host: host, port: port, path: memoryPath, configuration: config))
        }
        let countdown = Countdown()
        await withTaskGroup(of: Void.self) { group in
            for ws in sockets {
                group.addTask { await ws.run { ws in for await _ in ws.messages { countdown.hit() } } }
            }
            try? await Task.sleep(for: .seconds(1))
            let idle = await serverRSS()
            say("memory compressed=\(compressed) negotiated=\(sockets[0].compression != nil) idle_bytes_per_connection=\((idle - before) / count)")
            if compressed {
                countdown.reset(target: count)
                let text = "{\"message_type\":\"cursor\",\"position\":{\"x\":1,\"y\":2}," + String(repeating: "\"pad\":1,", count: 20) + "\"z\":0}"
                for ws in sockets { try? ws.send(text: text) }
                await countdown.wait()
                try? await Task.sleep(for: .seconds(1))
                let used = await serverRSS()
                say("memory compressed=true after_one_message_each_way_bytes_per_connection=\((used - before) / count)")
            }
            for ws in sockets { ws.close() }
        }
    }

    func serverRSS() async -> Int {
        let client = HTTPClient(host: host, port: port)
        defer { Task { await client.close() } }
        guard let response = try? await client.get("/stats") else { return 0 }
        let text = String(decoding: response.body, as: UTF8.self)
        let digits = text.drop { !$0.isNumber }.prefix { $0.isNumber }
        return Int(digits) ?? 0
    }
}

extension Duration {
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
