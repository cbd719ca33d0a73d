import CollabCore
import RESTGateway
import Synchronization
import WireProtocol

/// A collaborator on the diagram WebSocket: sends client messages, collects server messages.
public final class DiagramClient: Sendable {
    public let user: (id: String, email: String)
    private let connection: WebSocketConnection
    private let inbox: Inbox
    /// Types of messages passed over while waiting for another (shown when a wait times out).
    public let skipped = Mutex<[String]>([])

    /// Server messages in arrival order; one reader at a time (the test).
    final class Inbox: Sendable {
        struct State {
            var queue: [JSONValue] = []
            var waiter: CheckedContinuation<JSONValue?, Never>?
            var finished = false
        }
        let state = Mutex(State())

        func push(_ value: JSONValue?) {
            let waiter = state.withLock { s -> CheckedContinuation<JSONValue?, Never>? in
                if let w = s.waiter {
                    s.waiter = nil
                    if value == nil { s.finished = true }
                    return w
                }
                if let value { s.queue.append(value) } else { s.finished = true }
                return nil
            }
            waiter?.resume(returning: value)
        }

        /// Every message that has arrived and not been read yet, without waiting.
        func drain(limit: Int = .max) -> [JSONValue] {
            state.withLock { s in
                let n = min(limit, s.queue.count)
                defer { s.queue.removeFirst(n) }
                return Array(s.queue.prefix(n))
            }
        }

        /// The next message; nil when the connection closed or the waiting task was cancelled.
        func next() async -> JSONValue? {
            await withTaskCancellationHandler {
                await withCheckedContinuation { c in
                    let ready = state.withLock { s -> JSONValue?? in
                        if !s.queue.isEmpty { return .some(s.queue.removeFirst()) }
                        if s.finished || Task.isCancelled { return .some(nil) }
                        s.waiter = c
                        return .none
                    }
                    if let ready { c.resume(returning: ready) }
                }
            } onCancel: {
                state.withLock { s in
                    defer { s.waiter = nil }; return s.waiter
                }?.resume(returning: nil)
            }
        }
    }

    private init(user: (String, String), connection: WebSocketConnection, inbox: Inbox) {
        self.user = user
        self.connection = connection
        self.inbox = inbox
    }

    /// Joins the diagram's session as `email`; `baseVector` is the revision a reconnecting client
    /// last applied (the server then sends only what it missed, or a state sync). `token` replaces
    /// the test authenticator's `tok:<email>` (a real access token). With `tls`, over wss.
    public static func connect(
        port: Int, model: String, diagram: String, email: String, baseVector: Int64? = nil,
        token: String? = nil, tls: TLSContext? = nil
    ) async throws -> DiagramClient {
        var path = "/threat_models/\(model)/diagrams/\(diagram)/ws?token=\(token ?? "tok:\(email)")"
        if let baseVector { path += "&base_vector=\(baseVector)" }
        return try await connect(port: port, target: path, email: email, tls: tls)
    }

    /// Opens any WebSocket of the server (`target` is path and query) as `email`; with `tls`, wss.
    public static func connect(
        port: Int, target path: String, email: String, tls: TLSContext? = nil
    ) async throws -> DiagramClient {
        let stream: any ByteStream =
            if let tls {
                try await TLSConnection.connect(
                    host: "127.0.0.1", port: port, context: tls, deadline: .after(.seconds(20)))
            } else {
                try await TCPConnection.connect(host: "127.0.0.1", port: port)
            }
        let connection = try await WebSocketClient.handshake(
            over: stream, host: "127.0.0.1:\(port)", path: path)
        let inbox = Inbox()
        Task {
            await connection.run { ws in
                for await m in ws.messages {
                    if let json = try? JSONValue.parse(m.bytes) { inbox.push(json) }
                }
            }
            inbox.push(nil)
        }
        let name = String(email.prefix { $0 != "@" })
        return DiagramClient(user: ("id-\(name)", email), connection: connection, inbox: inbox)
    }

    public func send(_ message: JSONValue) throws { try connection.send(text: message.serializedString()) }

    /// Sends a `diagram_operation` with the given cell operations; returns its operation id.
    @discardableResult
    public func operate(base: Int?, _ cells: [JSONValue]) throws -> String {
        let id = UUIDText.random()
        var message: [String: JSONValue] = [
            "message_type": "diagram_operation", "operation_id": .string(id),
            "initiating_user": ["user_id": .string(user.id), "email": .string(user.email)],
            "operation": ["type": "patch", "cells": .array(cells)],
        ]
        if let base { message["base_vector"] = .number(Double(base)) }
        try send(.object(message))
        return id
    }

    /// The next message of `type` (others are skipped).
    public func next(_ type: String, where match: @escaping @Sendable (JSONValue) -> Bool = { _ in true })
        async throws
        -> JSONValue
    {
        try await within("\(type) for \(user.email) (skipped so far: \(skipped.withLock { $0 }))") { [self] in
            while let m = await self.receive() {
                if m["message_type"]?.stringValue == type, match(m) { return m }
                self.skipped.withLock { $0.append(m["message_type"]?.stringValue ?? "?") }
            }
            throw TimedOut(what: "\(type): connection closed")
        }
    }

    private func receive() async -> JSONValue? { await inbox.next() }

    /// Messages that have already arrived (up to `limit`), without waiting for more.
    public func available(limit: Int = .max) -> [JSONValue] { inbox.drain(limit: limit) }

    /// The next message of any type, waiting at most `seconds`; throws when the connection closed.
    public func nextMessage(seconds: Double = 20) async throws -> JSONValue {
        try await within(seconds: seconds, "any message for \(user.email)") { [self] in
            guard let m = await self.receive() else { throw TimedOut(what: "a message: connection closed") }
            return m
        }
    }

    public func close() { connection.close() }

    /// The close code the server sent, once the connection has closed (nil while open, or when
    /// it ended without a close frame).
    public var closeCode: UInt16? {
        guard let info = connection.closeInfo, info.initiatedByPeer else { return nil }
        return info.code.rawValue
    }

    /// How the connection closed (the server's code and reason), waiting until it has.
    public func closeInfo() async throws -> WebSocketCloseInfo {
        try await within("the close of \(user.email)'s connection") { [connection] in
            await connection.waitUntilClosed()
        }
    }

    /// Closes and waits until the connection is gone (the server has seen the close), discarding
    /// what arrives meanwhile: what a client does before reconnecting, so its old connection does
    /// not count against the server's connections-per-user limit.
    public func closeAndWait() async throws {
        connection.close()
        try await within("the close of \(user.email)'s connection") { [self] in
            while await self.receive() != nil {}
            if Task.isCancelled { throw CancellationError() }
        }
    }
}
