import CollabCore
import FoundationEssentials
import Synchronization

@testable import LoadTestKit

/// An in-memory TMI server behind `LoadTestTransport`: the test-provider login, threat model and
/// diagram creation, the diagram REST read, and WebSocket sessions sequenced by
/// `InMemorySequencer`. Knobs make it unreachable, refuse logins, or drop a connection.
final class FakeServer: LoadTestTransport {
    struct Session {
        var sequencer = InMemorySequencer()
        var sockets: [FakeSocket] = []
    }

    struct State {
        var sessions: [String: Session] = [:]
        var threatModels: [String: [String]] = [:]  // id -> writers
        var tokens: [String: String] = [:]  // token -> email
        var nextID = 0
        var operations = 0
        var socketsOpened = 0
        var dropAfterOperations: Int? = nil
        /// Every socket ever opened, closed ones included, for `isSettled`.
        var inboxes: [Inbox] = []
    }

    let state = Mutex(State())
    let unreachable: Bool
    let loginStatus: Int
    /// Makes REST disagree with the sessions: diagram reads include a cell no editor ever saw.
    let restGhostCell: Bool
    /// Called as each operation is sequenced, before its broadcast, with the running count
    /// (e.g. to interrupt a run).
    let onOperation: (@Sendable (Int) -> Void)?
    /// How many times a socket's reader yields before it gets each message: a reader that runs
    /// late, as on a saturated thread pool.
    let readerLag: Int

    init(
        unreachable: Bool = false, loginStatus: Int = 302, dropAfterOperations: Int? = nil,
        restGhostCell: Bool = false, readerLag: Int = 0, onOperation: (@Sendable (Int) -> Void)? = nil
    ) {
        self.readerLag = readerLag
        self.unreachable = unreachable
        self.restGhostCell = restGhostCell
        self.loginStatus = loginStatus
        self.onOperation = onOperation
        state.withLock { $0.dropAfterOperations = dropAfterOperations }
    }

    struct Refused: Error {}

    /// Whether every message sent to an editor has been handled: each inbox is empty and its
    /// reader has come back for the next message (or the socket is closed). `VirtualClock`
    /// waits for this before moving time.
    var isSettled: Bool {
        state.withLock { s in s.inboxes.allSatisfy(\.isSettled) }
    }

    static func uuid(_ n: Int) -> String {
        let hex = String(n, radix: 16)
        return "00000000-0000-4000-8000-" + String(repeating: "0", count: 12 - hex.count) + hex
    }

    func request(method: String, target: String, headers: [(String, String)], body: [UInt8]) async throws
        -> HTTPResult
    {
        if unreachable { throw Refused() }
        let (path, query) = Self.split(target)
        let token = headers.first { $0.0 == "Authorization" }?.1.replacingOccurrences(of: "Bearer ", with: "")
        switch (method, path) {
        case ("GET", "/oauth2/authorize"):
            guard loginStatus == 302 else { return json(loginStatus, ["error": "unauthorized"]) }
            let hint = query["login_hint"] ?? "x"
            return HTTPResult(
                status: 302, headers: [("Location", "http://fake/oauth2/callback?code=\(hint)&state=s")])
        case ("GET", "/oauth2/callback"):
            let email = "\(query["code"] ?? "x")@test.tmi"
            let claims = Data(#"{"sub":"sub-\#(email)","email":"\#(email)"}"#.utf8).base64EncodedString()
                .replacingOccurrences(of: "=", with: "")
            let jwt = "eyJhbGciOiJub25lIn0.\(claims).sig"
            state.withLock { $0.tokens[jwt] = email }
            return json(
                200,
                [
                    "access_token": .string(jwt), "refresh_token": "r", "expires_in": 3600,
                    "token_type": "Bearer",
                ])
        default: break
        }
        guard let token, state.withLock({ $0.tokens[token] != nil }) else {
            return json(401, ["error": "unauthorized"])
        }
        let parts = path.split(separator: "/").map(String.init)
        if method == "POST" && parts == ["threat_models"] {
            let writers = (try? JSONValue.parse(body))?["authorization"]?.arrayValue?.compactMap {
                $0["subject"]?.stringValue
            }
            let id = newID()
            state.withLock { $0.threatModels[id] = writers ?? [] }
            return json(201, ["id": .string(id)])
        }
        if method == "POST" && parts.count == 3 && parts[2] == "diagrams" {
            let id = newID()
            state.withLock { $0.sessions[id] = Session() }
            return json(201, ["id": .string(id), "cells": []])
        }
        if parts.count == 5 && parts[4] == "collaborate" { return json(201, [:]) }
        if method == "GET" && parts.count == 4 {
            guard
                let (stored, vector) = state.withLock({ s in
                    s.sessions[parts[3]].map { ($0.sequencer.restCells, $0.sequencer.vector) }
                })
            else { return json(404, ["error": "not_found"]) }
            let ghost: JSONValue = ["id": "ghost", "shape": "process", "x": 0, "y": 0]
            let cells = restGhostCell ? stored + [ghost] : stored
            return json(
                200,
                ["id": .string(parts[3]), "cells": .array(cells), "update_vector": .number(Double(vector))])
        }
        return json(404, ["error": "not_found"])
    }

    func openWebSocket(target: String) async throws -> any LoadTestSocket {
        if unreachable { throw Refused() }
        let (path, query) = Self.split(target)
        let parts = path.split(separator: "/").map(String.init)
        guard parts.count == 5, let token = query["token"], state.withLock({ $0.tokens[token] != nil }) else {
            throw Refused()
        }
        let socket = FakeSocket(server: self, diagram: parts[3])
        let sync: JSONValue? = state.withLock { s in
            s.socketsOpened += 1
            s.inboxes.append(socket.inbox)
            guard s.sessions[parts[3]] != nil else { return nil }
            s.sessions[parts[3]]!.sockets.append(socket)
            return s.sessions[parts[3]]!.sequencer.stateSync
        }
        guard let sync else { throw Refused() }
        socket.inbox.push(sync.serializedString())
        return socket
    }

    /// Sequences one client message and fans the reply out, all under the lock so every socket
    /// sees broadcasts in revision order.
    func receive(_ text: String, from socket: FakeSocket) {
        guard let message = try? JSONValue.parse(text) else { return }
        state.withLock { s in
            guard var session = s.sessions[socket.diagram] else { return }
            let reply = session.sequencer.receive(message)
            switch reply {
            case .broadcast(let m):
                s.operations += 1
                // Before anyone can receive it, so a hook that advances the clock is seen by all.
                onOperation?(s.operations)
                let bytes = m.serializedString()
                for peer in session.sockets { peer.inbox.push(bytes) }
            case .toSender(let m): socket.inbox.push(m.serializedString())
            case .none: break
            }
            s.sessions[socket.diagram] = session
            if case .broadcast = reply, let limit = s.dropAfterOperations, s.operations == limit {
                s.dropAfterOperations = nil
                socket.inbox.finish()
                s.sessions[socket.diagram]!.sockets.removeAll { $0 === socket }
            }
        }
    }

    func closed(_ socket: FakeSocket) {
        state.withLock { s in s.sessions[socket.diagram]?.sockets.removeAll { $0 === socket } }
    }

    func newID() -> String {
        state.withLock { s in
            s.nextID += 1
            return Self.uuid(s.nextID)
        }
    }

    func json(_ status: Int, _ body: JSONValue) -> HTTPResult {
        HTTPResult(status: status, headers: [("Content-Type", "application/json")], body: body.serialized())
    }

    static func split(_ target: String) -> (String, [String: String]) {
        let pieces = target.split(separator: "?", maxSplits: 1).map(String.init)
        var query: [String: String] = [:]
        if pieces.count == 2 {
            for pair in pieces[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
                if kv.count == 2 { query[kv[0]] = kv[1] }
            }
        }
        return (pieces[0], query)
    }
}

/// A fake WebSocket: sends go straight to the fake server; receives wait on an inbox.
final class FakeSocket: LoadTestSocket {
    let server: FakeServer
    let diagram: String
    let inbox = Inbox()

    init(server: FakeServer, diagram: String) {
        self.server = server
        self.diagram = diagram
    }

    func send(text: String) async throws {
        guard !inbox.isFinished else { throw FakeServer.Refused() }
        server.receive(text, from: self)
    }

    func receive() async throws -> String? {
        for _ in 0..<server.readerLag { await Task.yield() }
        return await inbox.next()
    }

    func close() async {
        inbox.finish()
        server.closed(self)
    }
}

/// A queue of text messages with one waiting reader.
final class Inbox: Sendable {
    struct State {
        var queue: [String] = []
        var head = 0
        var waiter: CheckedContinuation<String?, Never>?
        var finished = false
        /// The reader took a message and has not yet asked for the next one: it is still
        /// handling it.
        var inHand = false
    }

    let state = Mutex(State())

    var isFinished: Bool { state.withLock { $0.finished } }

    var isSettled: Bool {
        state.withLock { s in s.finished || (s.head == s.queue.count && !s.inHand) }
    }

    func push(_ text: String) {
        let waiter = state.withLock { s -> CheckedContinuation<String?, Never>? in
            guard !s.finished else { return nil }
            if let w = s.waiter {
                s.waiter = nil
                s.inHand = true
                return w
            }
            s.queue.append(text)
            return nil
        }
        waiter?.resume(returning: text)
    }

    func finish() {
        let waiter = state.withLock { s -> CheckedContinuation<String?, Never>? in
            s.finished = true
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume(returning: nil)
    }

    func next() async -> String? {
        await withCheckedContinuation { (c: CheckedContinuation<String?, Never>) in
            let immediate = state.withLock { s -> String?? in
                s.inHand = false
                if s.head < s.queue.count {
                    s.inHand = true
                    defer { s.head += 1 }
                    return .some(s.queue[s.head])
                }
                if s.finished { return .some(nil) }
                s.waiter = c
                return .none
            }
            if let immediate { c.resume(returning: immediate) }
        }
    }
}
