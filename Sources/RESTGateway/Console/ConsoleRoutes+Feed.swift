import CollabCore
import SessionActors
import WireProtocol

/// `/console/ws`: the live table. On connect and after every change a session reports (coalesced,
/// and at least every `refreshSeconds`), the server sends one `console_sessions` message listing
/// every live session of a threat model the caller may read (docs/console.md).
extension ConsoleRoutes {
    @Sendable func feed(_ ctx: RequestContext) async throws -> HTTPResponse {
        let user = try ctx.requireUser()
        try Self.requireUpgrade(ctx)
        let changes = collaboration.directory.changes
        let refresh = refreshSeconds
        let coalesce = coalesceMilliseconds
        let routes = self
        return WebSocketUpgrade.respond(to: ctx.request, configuration: collaboration.webSocket) {
            connection in
            let (wake, poke) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
            poke.yield()
            await withTaskGroup(of: Void.self) { group in
                // The console sends nothing that matters; this ends when the socket closes.
                group.addTask { for await _ in connection.messages {} }
                group.addTask {
                    for await _ in changes.subscribe() { poke.yield() }
                }
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .milliseconds(Int(refresh * 1000)))
                        poke.yield()
                    }
                }
                group.addTask {
                    for await _ in wake {
                        let message = await routes.sessionsMessage(for: user)
                        guard (try? connection.send(text: message.serializedString())) != nil else { return }
                        try? await Task.sleep(for: .milliseconds(coalesce))
                    }
                }
                await group.next()
                group.cancelAll()
                poke.finish()
            }
        }
    }

    /// The `console_sessions` message for `user`: only sessions of threat models they can read.
    func sessionsMessage(for user: AuthenticatedUser) async -> JSONValue {
        let now = WallClock.now()
        // On a node of several, names and access as another node last changed them; a database
        // that cannot answer leaves the feed on what memory has (it tries again next time).
        if collaboration.cluster != nil { try? await collaboration.store.refreshChanged() }
        var rows: [JSONValue] = []
        for view in await collaboration.directory.consoleViews() {
            let s = view.summary
            let names = collaboration.store.read { state -> (String, String)? in
                guard let record = state.models[s.threatModelID], record.role(of: user) != nil,
                    let diagram = record.collection(.diagrams)[s.diagramID]
                else { return nil }
                return (record.fields["name"]?.stringValue ?? "", diagram.fields["name"]?.stringValue ?? "")
            }
            guard let (modelName, diagramName) = names else { continue }
            rows.append(
                Self.row(view, modelName: modelName, diagramName: diagramName, viewer: user, now: now))
        }
        return [
            "message_type": "console_sessions", "server_time": .string(Self.time(now)),
            "viewer": [
                "user_id": .string(user.id), "email": .string(user.email), "name": .string(user.name),
            ],
            "sessions": .array(rows),
        ]
    }

    static func time(_ t: Double) -> String {
        Timestamp(millisecondsSinceEpoch: Int64((t * 1000).rounded(.down))).rfc3339
    }

    static func row(
        _ v: SessionConsoleView, modelName: String, diagramName: String, viewer: AuthenticatedUser,
        now: Double
    ) -> JSONValue {
        let s = v.summary
        let rate = (Double(v.operationsLastMinute) / 60 * 100).rounded() / 100
        return [
            "session_id": .string(s.sessionID), "threat_model_id": .string(s.threatModelID),
            "threat_model_name": .string(modelName), "diagram_id": .string(s.diagramID),
            "diagram_name": .string(diagramName),
            "host": s.host.map(\.participantJSON) ?? .null,
            "presenter": s.presenter.map(\.participantJSON) ?? .null,
            "participants": .array(
                v.members.map {
                    [
                        "user": $0.user.participantJSON, "permissions": .string($0.role.rawValue),
                        "joined_at": .string(time($0.joinedAt)),
                        "last_activity": .string(time($0.lastActivity)),
                        "selected_cells": .array($0.selection.map { .string($0) }),
                    ]
                }),
            "operations_last_minute": .number(Double(v.operationsLastMinute)),
            "operations_per_second": .number(rate),
            "revision": .number(Double(s.revision)),
            "created_at": .string(time(v.createdAt)), "last_activity": .string(time(v.lastActivity)),
            "idle_seconds": .number(max(0, (now - v.lastActivity).rounded(.down))),
            "viewer_is_host": .bool(s.host?.userID == viewer.id),
        ]
    }
}
