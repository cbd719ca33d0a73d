import CollabCore
import SessionActors
import Storage
import WireProtocol

/// Live collaboration over REST and WebSocket (endpoints.md "Collaboration", DESIGN §6, §10):
/// `GET/POST/PUT/DELETE .../collaborate`, `GET /collaboration/sessions`, and the diagram
/// WebSocket `.../ws`, which creates the session if none is live and joins it.
public struct CollaborationRoutes: RouteProvider {
    let store: ThreatModelStore
    let directory: SessionDirectory
    /// Base for `websocket_url` and `join_url` (`http://host:port` → `ws://host:port`).
    let baseURL: String
    let webSocket: WebSocketConfiguration
    /// Set when this node is one of several (`--redis-url`): sessions are placed cluster-wide.
    let cluster: ClusterCoordinator?

    public init(
        store: ThreatModelStore, directory: SessionDirectory, baseURL: String,
        webSocket: WebSocketConfiguration = WebSocketConfiguration(), cluster: ClusterCoordinator? = nil
    ) {
        self.store = store
        self.directory = directory
        self.baseURL = baseURL
        var webSocket = webSocket
        // Ask clients not to carry compression context across messages (RFC 7692 §7.1.1.2: a
        // server may always ask). Then a participant's inflater is freed after each message it
        // sends instead of holding a window for as long as it is connected (issue 15: memory of
        // idle sockets). Its messages are small operations; the ratio lost is small.
        webSocket.compression?.clientNoContextTakeover = true
        // A busy session's broadcasts go out in batches (at most 10 ms late, far less with few
        // participants): one write per socket every few milliseconds rather than one per
        // operation (issue 15, docs/scale.md).
        if webSocket.writeCoalescing == nil { webSocket.writeCoalescing = .milliseconds(10) }
        self.webSocket = webSocket
        self.cluster = cluster
    }

    static let diagram = "/threat_models/{threat_model_id}/diagrams/{diagram_id}"

    public var routes: [Route] {
        [
            Route("GET", "/collaboration/sessions", handler: list),
            Route("GET", "\(Self.diagram)/collaborate", handler: get),
            Route("POST", "\(Self.diagram)/collaborate", handler: create),
            Route("PUT", "\(Self.diagram)/collaborate", handler: join),
            Route("DELETE", "\(Self.diagram)/collaborate", handler: end),
            Route("GET", "\(Self.diagram)/ws", handler: connect),
            Route("GET", "/cluster/relay\(Self.diagram)/ws", access: .open, handler: relayed),
        ]
    }

    /// The diagram a request names, after the caller's access check (reader at least).
    struct Target {
        var model: String
        var diagram: String
        var modelName: String
        var diagramName: String
        var role: Role
        var cells: [JSONValue]
        var revision: Int64
    }

    func target(_ ctx: RequestContext, user: AuthenticatedUser) throws(APIError) -> Target {
        let tm = try ctx.uuidParameter("threat_model_id")
        let d = try ctx.uuidParameter("diagram_id")
        return try store.read { s throws(APIError) in
            let record = try s.model(tm, for: user, needs: .reader)
            guard let diagram = record.collection(.diagrams)[d] else {
                throw APIError.notFound("diagram \(d) not found")
            }
            return Target(
                model: tm, diagram: d, modelName: record.fields["name"]?.stringValue ?? "",
                diagramName: diagram.fields["name"]?.stringValue ?? "",
                role: record.role(of: user) ?? .reader,
                cells: diagram.fields["cells"]?.arrayValue ?? [],
                revision: Int64(diagram.fields["update_vector"]?.doubleValue ?? 0))
        }
    }

    var webSocketBase: String {
        if baseURL.hasPrefix("https://") { return "wss://" + baseURL.dropFirst(8) }
        if baseURL.hasPrefix("http://") { return "ws://" + baseURL.dropFirst(7) }
        return baseURL
    }

    func webSocketURL(_ t: Target) -> String {
        "\(webSocketBase)/threat_models/\(t.model)/diagrams/\(t.diagram)/ws"
    }

    static func collabUser(_ user: AuthenticatedUser) -> CollabUser {
        CollabUser(userID: user.id, email: user.email, displayName: user.name)
    }

    /// The spec's `CollaborationSession`.
    func sessionJSON(_ s: SessionSummary, _ t: Target) -> JSONValue {
        var o: [String: JSONValue] = [
            "session_id": .string(s.sessionID), "threat_model_id": .string(t.model),
            "threat_model_name": .string(t.modelName), "diagram_id": .string(t.diagram),
            "diagram_name": .string(t.diagramName), "host": .string(s.host?.email ?? ""),
            "websocket_url": .string(webSocketURL(t)),
            "participants": .array(
                s.participants.map {
                    [
                        "user": [
                            "user_id": .string($0.user.userID), "email": .string($0.user.email),
                            "name": .string($0.user.displayName ?? $0.user.email),
                        ],
                        "last_activity": .string($0.lastActivity),
                        "permissions": .string($0.role.rawValue),
                    ]
                }),
        ]
        if let p = s.presenter { o["presenter"] = .string(p.email) }
        return .object(o)
    }

    /// Creates the session for a diagram unless one is live; the creator is host.
    func openSession(_ t: Target, host: AuthenticatedUser?) async -> SessionDirectory.CreateResult {
        await directory.create(
            threatModelID: t.model, diagramID: t.diagram, host: host.map(Self.collabUser),
            state: DiagramState(revision: t.revision, cells: t.cells),
            persistence: StoreSessionPersistence(store: store))
    }

    @Sendable func list(_ ctx: RequestContext) async throws -> HTTPResponse {
        let user = try ctx.requireUser()
        if let cluster { return try await listInCluster(user, cluster) }
        var out: [JSONValue] = []
        for s in await directory.list() {
            let readable = store.read { state -> Target? in
                guard let record = state.models[s.threatModelID], record.role(of: user) != nil,
                    let diagram = record.collection(.diagrams)[s.diagramID]
                else { return nil }
                return Target(
                    model: s.threatModelID, diagram: s.diagramID,
                    modelName: record.fields["name"]?.stringValue ?? "",
                    diagramName: diagram.fields["name"]?.stringValue ?? "", role: .reader, cells: [],
                    revision: 0)
            }
            if let t = readable { out.append(sessionJSON(s, t)) }
        }
        return .json(.array(out))
    }

    @Sendable func get(_ ctx: RequestContext) async throws -> HTTPResponse {
        let user = try ctx.requireUser()
        if let answer = try await answeredByOwner(ctx) { return answer }
        let t = try target(ctx, user: user)
        guard let session = await directory.find(diagramID: t.diagram) else {
            throw APIError.notFound("no collaboration session is live for diagram \(t.diagram)")
        }
        return .json(sessionJSON(await session.summary, t))
    }

    @Sendable func create(_ ctx: RequestContext) async throws -> HTTPResponse {
        let user = try ctx.requireUser()
        if let cluster { return try await createInCluster(ctx, user: user, cluster) }
        let t = try target(ctx, user: user)
        switch await openSession(t, host: user) {
        case .created(let session):
            return .json(sessionJSON(await session.summary, t), status: 201)
        case .exists:
            throw APIError(
                status: 409, code: "conflict",
                description: "a collaboration session is already live for this diagram; join it",
                extra: ["join_url": .string(webSocketURL(t))])
        }
    }

    @Sendable func join(_ ctx: RequestContext) async throws -> HTTPResponse {
        let user = try ctx.requireUser()
        if let answer = try await answeredByOwner(ctx) { return answer }
        let t = try target(ctx, user: user)
        guard let session = await directory.find(diagramID: t.diagram) else {
            throw APIError.notFound(
                "no collaboration session is live for diagram \(t.diagram); create one with POST")
        }
        return .json(sessionJSON(await session.summary, t))
    }

    /// The host ends the session for everyone; anyone else leaves it (DESIGN §10).
    @Sendable func end(_ ctx: RequestContext) async throws -> HTTPResponse {
        let user = try ctx.requireUser()
        if let answer = try await answeredByOwner(ctx) { return answer }
        let t = try target(ctx, user: user)
        guard let session = await directory.find(diagramID: t.diagram) else {
            throw APIError.notFound("no collaboration session is live for diagram \(t.diagram)")
        }
        let summary = await session.summary
        if summary.host?.userID == user.id || summary.host == nil {
            await directory.end(diagramID: t.diagram, reason: .hostEnded)
        } else {
            await session.leave(userID: user.id)
        }
        return .empty()
    }

    /// The diagram WebSocket: authenticates (header or `?token=`), checks access, creates the
    /// session if none is live (the first user is host), then relays every text message into
    /// the session until the connection closes.
    @Sendable func connect(_ ctx: RequestContext) async throws -> HTTPResponse {
        let user = try ctx.requireUser()
        if let cluster { return try await connectInCluster(ctx, user: user, cluster) }
        let t = try target(ctx, user: user)
        guard WebSocketUpgrade.isUpgradeRequest(ctx.request) else {
            throw APIError(
                status: 426, code: "upgrade_required", description: "this endpoint speaks WebSocket only")
        }
        let directory = self.directory
        let role: CollabRole = t.role >= .writer ? .writer : .reader
        let me = Self.collabUser(user)
        // A reconnecting client names the revision it last applied: it gets only what it missed
        // when the session's log still covers it (DESIGN §6).
        let resumeFrom = ctx.query["base_vector"].flatMap { Int64($0) }
        let openSession = { @Sendable () async -> DiagramSession in
            switch await self.openSession(t, host: user) {
            case .created(let s), .exists(let s): s
            }
        }
        return WebSocketUpgrade.respond(to: ctx.request, configuration: webSocket) { connection in
            let session = await openSession()
            await Self.serve(session, user: me, role: role, resumeFrom: resumeFrom, connection)
            _ = directory
        }
    }

    /// Joins `connection` to `session` and feeds it every message until the connection closes.
    static func serve(
        _ session: DiagramSession, user: CollabUser, role: CollabRole, resumeFrom: Int64?,
        _ connection: WebSocketConnection
    ) async {
        let connectionID = UUIDText.random()
        let outbox = WebSocketOutbox(connection: connection)
        let identity = ParticipantIdentity(connectionID: connectionID, user: user, role: role)
        guard await session.join(identity, outbox: outbox, resumeFrom: resumeFrom) == .joined else {
            return
        }
        for await message in connection.messages {
            await session.receive(message.bytes, from: connectionID)
        }
        await session.leave(connectionID: connectionID)
    }
}

extension CollaborationRoutes {
    /// What the REST diagram routes need from live sessions.
    public var liveDiagramHooks: LiveDiagramHooks {
        let directory = self.directory
        return LiveDiagramHooks(
            isLive: { await directory.find(diagramID: $0) != nil },
            applyCells: { diagramID, old, new, user throws(APIError) in
                guard let session = await directory.find(diagramID: diagramID) else { return false }
                let ops = DiagramState(cells: old).operations(toReach: new)
                guard !ops.isEmpty else { return true }
                switch await session.applyServerOperation(ops, by: Self.collabUser(user)) {
                case .accepted, .duplicate: return true
                case .rejected(let r):
                    if let notStored = r.notStored {
                        throw APIError.storeUnavailable(
                            StoreUnavailable(r.message, isDiskFull: notStored == .diskFull))
                    }
                    throw APIError(status: 422, code: r.reason.rawValue, description: r.message)
                case .needsStateSync:
                    throw APIError(
                        status: 422, code: "conflict_detected", description: "the diagram changed; retry")
                }
            },
            deleted: { await directory.end(diagramID: $0, reason: .diagramDeleted) })
    }
}
