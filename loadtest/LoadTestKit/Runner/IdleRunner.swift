import CollabCore
import Synchronization

/// `tmi-loadtest --idle N` (issue 15): opens N authenticated WebSockets, each joined to a
/// diagram's session, keeps them quiet (they only read what the server sends), and reports how
/// much resident memory the server holds per connection.
///
/// Connections are spread over diagrams of `idlePerDiagram` each, one threat model per diagram.
/// Few users are logged in: a user may hold 5 connections in one session, so `idlePerDiagram / 5`
/// users cover every diagram (logins cost a token signature each and are not what is measured).
/// The memory figure is the server's RSS after everyone joined and `idleHold` passed, minus its
/// RSS after the logins and diagrams were made and before the first socket opened, over N.
public struct IdleRunner: Sendable {
    /// Connections one user may hold in one session (`SessionConfiguration.maxConnectionsPerUser`).
    static let connectionsPerUser = 5
    /// Handshakes in flight at once: enough to open 10,000 sockets in seconds, few enough not to
    /// overflow the server's listen backlog.
    static let openConcurrency = 64

    let options: LoadTestOptions
    let transport: any LoadTestTransport
    let clock: any LoadTestClock
    let sampleServer: (@Sendable () -> ProcFS.Sample?)?
    let log: @Sendable (String) -> Void

    public init(
        options: LoadTestOptions, transport: any LoadTestTransport,
        clock: any LoadTestClock = SystemLoadTestClock(), sampleServer: (@Sendable () -> ProcFS.Sample?)?,
        log: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.options = options
        self.transport = transport
        self.clock = clock
        self.sampleServer = sampleServer
        self.log = log
    }

    /// One idle connection: its socket, and whether the server's join state has arrived.
    final class Held: Sendable {
        let socket: any LoadTestSocket
        let state = Mutex<(joined: Bool, closed: Bool, messages: Int)>((false, false, 0))
        init(_ socket: any LoadTestSocket) { self.socket = socket }

        /// Reads and discards until the connection closes: a quiet client still reads, or the
        /// server would (rightly) close it for not reading its broadcasts.
        func drain() async {
            while let text = try? await socket.receive() {
                let isJoin =
                    text.contains("\"diagram_state_sync\"") || text.contains("\"participants_update\"")
                state.withLock {
                    $0.messages += 1
                    if isJoin { $0.joined = true }
                }
            }
            state.withLock { $0.closed = true }
        }
    }

    public func run() async throws(LoadTestError) -> IdleReport {
        let total = options.idleConnections ?? 0
        let perDiagram = min(options.idlePerDiagram, total)
        let diagramCount = (total + perDiagram - 1) / perDiagram
        let userCount = (perDiagram + Self.connectionsPerUser - 1) / Self.connectionsPerUser
        let api = APIClient(transport: transport, baseURL: options.url)
        var logins: [APIClient.Login] = []
        for i in 0..<userCount { logins.append(try await api.login(hint: "\(options.userPrefix)-idle-\(i)")) }
        var targets: [DiagramTarget] = []
        for d in 0..<diagramCount {
            let tm = try await api.createThreatModel(
                name: "tmi-loadtest idle \(d + 1)", owner: logins[0],
                writers: logins.dropFirst().map(\.user.email))
            let diagram = try await api.createDiagram(
                threatModel: tm, name: "idle \(d + 1)", owner: logins[0])
            targets.append(DiagramTarget(threatModel: tm, diagram: diagram))
        }
        log("idle: \(userCount) users, \(diagramCount) diagrams; opening \(total) WebSockets\n")
        var report = IdleReport(
            connections: total, diagrams: diagramCount, perDiagram: perDiagram, deflate: options.deflate)
        report.serverBefore = sampleServer?()
        let opened = clock.now()

        var held: [Held] = []
        held.reserveCapacity(total)
        var failures: [String] = []
        await withTaskGroup(of: Void.self) { drains in
            var next = 0
            while next < total {
                let batch = next..<min(total, next + Self.openConcurrency)
                let results = await withTaskGroup(
                    of: (Int, Result<any LoadTestSocket, TransportFailure>).self
                ) {
                    group in
                    for i in batch {
                        let target = targets[i / perDiagram]
                        let login = logins[(i % perDiagram) % userCount]
                        let path =
                            "/threat_models/\(target.threatModel)/diagrams/\(target.diagram)/ws?token=\(login.accessToken)"
                        group.addTask {
                            do { return (i, .success(try await transport.openWebSocket(target: path))) } catch
                            {
                                return (i, .failure(TransportFailure("\(error)")))
                            }
                        }
                    }
                    var out: [(Int, Result<any LoadTestSocket, TransportFailure>)] = []
                    for await r in group { out.append(r) }
                    return out.sorted { $0.0 < $1.0 }
                }
                for (_, result) in results {
                    switch result {
                    case .success(let socket):
                        let h = Held(socket)
                        held.append(h)
                        drains.addTask { await h.drain() }
                    case .failure(let f):
                        failures.append(f.description)
                    }
                }
                next = batch.upperBound
                if next % 1000 < Self.openConcurrency {
                    log("idle: \(held.count) open, \(failures.count) failed\n")
                }
            }
            report.openFailures = failures.count
            report.firstFailure = failures.first
            // Everyone has its join state (or its connection closed) before the clock starts.
            let deadline = clock.now() + .seconds(60)
            while clock.now() < deadline, !held.allSatisfy({ $0.state.withLock { $0.joined || $0.closed } }) {
                try? await clock.sleep(until: clock.now() + .milliseconds(100))
            }
            report.openSeconds = LoadTestKit.seconds(clock.now() - opened)
            try? await clock.sleep(until: clock.now() + .nanoseconds(Int64(options.idleHold * 1e9)))
            report.serverHeld = sampleServer?()
            report.joined = held.filter { $0.state.withLock { $0.joined && !$0.closed } }.count
            report.closedEarly = held.filter { $0.state.withLock { $0.closed } }.count
            report.messagesReceived = held.reduce(0) { $0 + $1.state.withLock { $0.messages } }
            log("idle: closing\n")
            await withTaskGroup(of: Void.self) { closing in
                for (i, h) in held.enumerated() {
                    if i >= Self.openConcurrency * 4 { await closing.next() }
                    closing.addTask { await h.socket.close() }
                }
            }
            await drains.waitForAll()
        }
        return report
    }
}

/// What `--idle` measured.
public struct IdleReport: Sendable, Equatable {
    public var connections: Int
    public var diagrams: Int
    public var perDiagram: Int
    public var deflate: Bool
    public var openFailures = 0
    public var firstFailure: String?
    /// Connections that received their join state and were still open when memory was sampled.
    public var joined = 0
    public var closedEarly = 0
    public var messagesReceived = 0
    public var openSeconds = 0.0
    public var serverBefore: ProcFS.Sample?
    public var serverHeld: ProcFS.Sample?

    /// Server resident bytes per held connection, nil without both samples.
    public var bytesPerConnection: Double? {
        guard let before = serverBefore, let held = serverHeld, joined > 0 else { return nil }
        return (Double(held.rssBytes) - Double(before.rssBytes)) / Double(joined)
    }

    /// Passes when every connection opened, joined and stayed open.
    public var exitCode: Int32 { openFailures == 0 && joined == connections ? 0 : 1 }

    public var summaryText: String {
        func mib(_ b: UInt64) -> String { formatted(Double(b) / 1_048_576, 1) + " MiB" }
        var lines = [
            "idle WebSockets: \(connections) over \(diagrams) diagrams (\(perDiagram) per session), "
                + "permessage-deflate \(deflate ? "offered" : "off")",
            "opened and joined: \(joined), failed to open: \(openFailures), closed early: \(closedEarly), "
                + "messages received: \(messagesReceived), open + join took \(formatted(openSeconds, 1)) s",
        ]
        if let firstFailure { lines.append("first failure: \(firstFailure)") }
        if let before = serverBefore, let held = serverHeld, let per = bytesPerConnection {
            lines.append(
                "server RSS: \(mib(before.rssBytes)) before, \(mib(held.rssBytes)) with the connections held; "
                    + "\(formatted(per / 1024, 1)) KiB (\(formatted(per / 1000, 1)) KB) per connection")
        } else {
            lines.append("server RSS: not sampled (pass --server-pid, or run on the server's machine)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "mode": "idle", "connections": .number(Double(connections)),
            "diagrams": .number(Double(diagrams)),
            "per_diagram": .number(Double(perDiagram)), "deflate": .bool(deflate),
            "open_failures": .number(Double(openFailures)), "joined": .number(Double(joined)),
            "closed_early": .number(Double(closedEarly)),
            "messages_received": .number(Double(messagesReceived)),
            "open_seconds": .number(openSeconds),
        ]
        if let b = serverBefore { o["server_rss_before_bytes"] = .number(Double(b.rssBytes)) }
        if let h = serverHeld { o["server_rss_held_bytes"] = .number(Double(h.rssBytes)) }
        if let per = bytesPerConnection { o["server_rss_bytes_per_connection"] = .number(per) }
        return .object(o)
    }

    func formatted(_ v: Double, _ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let r = (v * scale).rounded() / scale
        return digits == 0 ? String(Int(r)) : String(r)
    }
}
