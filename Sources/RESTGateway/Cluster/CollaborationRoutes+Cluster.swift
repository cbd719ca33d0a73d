import Cluster
import CollabCore
import SessionActors
import Storage
import WireProtocol

/// The diagram WebSocket on a node of several (DESIGN §11, docs/cluster.md).
///
/// A joiner may arrive at any node. That node authenticates them and checks their access (after
/// reading the threat model back from the shared store), then asks the coordinator where the
/// session runs: here, and it serves them as a single node does; or on the owner, and it relays
/// every frame both ways over one node-to-node WebSocket per client, signed with the cluster
/// secret. The owner sees the user's identity from the signed handshake, never from the client.
/// When the link breaks, or the owner cannot be reached, the client is closed with 1012
/// (Service Restart): it reconnects, and by then a live node owns the diagram.
extension CollaborationRoutes {
    func connectInCluster(_ ctx: RequestContext, user: AuthenticatedUser, _ cluster: ClusterCoordinator)
        async throws -> HTTPResponse
    {
        let model = try ctx.uuidParameter("threat_model_id")
        try await store.refreshForRequest(model: model)
        let t = try target(ctx, user: user)
        guard WebSocketUpgrade.isUpgradeRequest(ctx.request) else {
            throw APIError(
                status: 426, code: "upgrade_required", description: "this endpoint speaks WebSocket only")
        }
        let me = Self.collabUser(user)
        let role: CollabRole = t.role >= .writer ? .writer : .reader
        let resumeFrom = ctx.query["base_vector"].flatMap { Int64($0) }
        switch try await cluster.place(model: t.model, diagram: t.diagram, host: me) {
        case .local(let session):
            return WebSocketUpgrade.respond(to: ctx.request, configuration: webSocket) { connection in
                await Self.serve(session, user: me, role: role, resumeFrom: resumeFrom, connection)
            }
        case .remote(let nodeID, let url):
            let path = "/cluster/relay/threat_models/\(t.model)/diagrams/\(t.diagram)/ws"
            let target = resumeFrom.map { path + "?base_vector=\($0)" } ?? path
            let headers = cluster.signature.sign(
                target: target, user: .init(user: me, role: role), node: cluster.nodeID, now: WallClock.now())
            let logger = cluster.logger
            return WebSocketUpgrade.respond(to: ctx.request, configuration: webSocket) { connection in
                await Self.relay(
                    connection, to: url, target: target, headers: headers, owner: nodeID,
                    tls: cluster.peerTLS,
                    logger)
            }
        }
    }

    /// Pumps frames between a client and the owner until either side closes. A close from the
    /// owner is passed on with its code (1012 from a session that moved, 1001 when it ended...);
    /// a link that fails or ends without a close frame closes the client with 1012. An `https`
    /// or `wss` owner is reached over TLS verified with `tls` (a certificate it does not trust,
    /// like an unreachable owner, is 1012 and a `relay to owner failed` warning with the reason).
    /// Connect, TLS and upgrade are bounded by `ClusterCoordinator.peerTimeout`.
    static func relay(
        _ client: WebSocketConnection, to url: String, target: String, headers: HTTPHeaders, owner: String,
        tls: TLSContext?, _ logger: Logger
    ) async {
        let link: WebSocketConnection
        do {
            let peer = try PeerEndpoint.parse(url)
            var configuration = WebSocketConfiguration()
            configuration.handshakeTimeout = ClusterCoordinator.peerTimeout
            if peer.tls, let tls {
                link = try await WebSocketClient.handshake(
                    host: peer.host, port: peer.port, path: target, headers: headers,
                    configuration: configuration,
                    tls: tls, timeout: ClusterCoordinator.peerTimeout)
            } else if peer.tls {
                throw PeerEndpoint.Invalid(description: "no TLS client context for an https peer")
            } else {
                link = try await WebSocketClient.handshake(
                    host: peer.host, port: peer.port, path: target, headers: headers,
                    configuration: configuration)
            }
        } catch {
            logger.warning(
                "relay to owner failed",
                [("owner", .string(owner)), ("url", .string(url)), ("reason", .string(Self.describe(error)))])
            client.close(code: .serviceRestart, reason: "owner unreachable: reconnect")
            return
        }
        await link.run { link in
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await message in link.messages { try? client.send(message) }
                    // The owner's side ended: pass its code on, or 1012 when the link just broke.
                    let info = link.closeInfo
                    if let info, info.initiatedByPeer, info.code.isValidOnWire, info.code != .normalClosure {
                        client.close(code: info.code, reason: info.reason)
                    } else if info?.initiatedByPeer == true && info?.code == .normalClosure {
                        client.close(code: .normalClosure, reason: info?.reason ?? "")
                    } else {
                        client.close(code: .serviceRestart, reason: "link to the owner broke: reconnect")
                    }
                }
                for await message in client.messages { try? link.send(message) }
                link.close(code: .normalClosure, reason: "client left")
                await group.waitForAll()
            }
        }
    }

    /// A relay failure in words for the log: the TLS reason when the handshake failed there.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let e as WebSocketError:
            switch e {
            case .handshakeFailed(let why): why
            case .stream(let s): "connection \(s)"
            default: "\(e)"
            }
        case let e as PeerEndpoint.Invalid: "unusable advertise URL: \(e.description)"
        default: "\(error)"
        }
    }

    /// The owner's end of a relay: a signed handshake from another node (refused 403 and logged
    /// when the signature, clock or nonce is wrong), then the relayed user joins the session
    /// exactly as a direct client would. 409 when this node does not own the diagram any more.
    @Sendable func relayed(_ ctx: RequestContext) async throws -> HTTPResponse {
        guard let cluster else { throw APIError.notFound("this node is not part of a cluster") }
        let relayed: RelaySignature.RelayedUser
        do {
            (relayed, _) = try cluster.signature.verify(ctx.request, now: WallClock.now())
        } catch {
            cluster.logger.warning(
                "relay handshake refused",
                [("peer", .string(ctx.peer)), ("reason", .string(error.description))])
            throw APIError.forbidden("relay handshake refused: \(error.description)")
        }
        let model = try ctx.uuidParameter("threat_model_id")
        let diagram = try ctx.uuidParameter("diagram_id")
        guard WebSocketUpgrade.isUpgradeRequest(ctx.request) else {
            throw APIError(
                status: 426, code: "upgrade_required", description: "this endpoint speaks WebSocket only")
        }
        let resumeFrom = ctx.query["base_vector"].flatMap { Int64($0) }
        switch try await cluster.place(model: model, diagram: diagram, host: relayed.user) {
        case .local(let session):
            return WebSocketUpgrade.respond(to: ctx.request, configuration: webSocket) { connection in
                await Self.serve(
                    session, user: relayed.user, role: relayed.role, resumeFrom: resumeFrom, connection)
            }
        case .remote(let node, _):
            throw APIError.conflict("diagram \(diagram) is owned by node \(node) now")
        }
    }
}

/// `GET /collaboration/sessions` on a node of several: every node's sessions, from the
/// directory's listing (each owner publishes its sessions' summaries there), with `node_id`
/// naming the owner (an additional property; the spec's schema allows them). Access is checked
/// here against the threat model as the shared store holds it.
extension CollaborationRoutes {
    func listInCluster(_ user: AuthenticatedUser, _ cluster: ClusterCoordinator) async throws -> HTTPResponse
    {
        let entries: [ClusterSessionEntry]
        do {
            entries = try await cluster.directory.sessions()
        } catch {
            throw APIError.unavailable(error.description)
        }
        // Names and access as every node now has them (a reader added or removed elsewhere).
        try await store.refreshChangedForRequest()
        var out: [JSONValue] = []
        for entry in entries {
            guard let info = try? JSONValue.parse(Array(entry.info.utf8)),
                let model = info["threat_model_id"]?.stringValue
            else { continue }
            let readable = store.read { state -> Target? in
                guard let record = state.models[model], record.role(of: user) != nil,
                    let diagram = record.collection(.diagrams)[entry.diagramID]
                else { return nil }
                return Target(
                    model: model, diagram: entry.diagramID,
                    modelName: record.fields["name"]?.stringValue ?? "",
                    diagramName: diagram.fields["name"]?.stringValue ?? "", role: .reader, cells: [],
                    revision: 0)
            }
            guard let t = readable else { continue }
            func decodeUser(_ v: JSONValue?) -> CollabUser? {
                guard let v, let id = v["user_id"]?.stringValue, let email = v["email"]?.stringValue else {
                    return nil
                }
                let name = v["name"]?.stringValue
                return CollabUser(userID: id, email: email, displayName: name?.isEmpty == false ? name : nil)
            }
            let participants: [ParticipantSummary] = (info["participants"]?.arrayValue ?? []).compactMap {
                p in
                guard let u = decodeUser(p["user"]),
                    let role = p["role"]?.stringValue.flatMap(CollabRole.init)
                else {
                    return nil
                }
                return ParticipantSummary(
                    user: u, role: role, lastActivity: p["last_activity"]?.stringValue ?? "")
            }
            let summary = SessionSummary(
                sessionID: info["session_id"]?.stringValue ?? "", threatModelID: model,
                diagramID: entry.diagramID,
                host: decodeUser(info["host"]), presenter: decodeUser(info["presenter"]),
                participants: participants,
                revision: Int64(info["revision"]?.doubleValue ?? 0))
            guard case .object(var o) = sessionJSON(summary, t) else { continue }
            o["node_id"] = .string(entry.nodeID)
            out.append(.object(o))
        }
        return .json(.array(out))
    }
}

/// `GET/PUT/DELETE .../collaborate` and `POST .../collaborate` on a node of several: the
/// session lives on its owner, so the owner answers (the request is forwarded to it as it came),
/// and `POST` places the session cluster-wide (201 here, 409 when it is live anywhere).
extension CollaborationRoutes {
    /// The owner's answer when another node owns the diagram's session; nil to answer here.
    func answeredByOwner(_ ctx: RequestContext) async throws -> HTTPResponse? {
        guard let cluster else { return nil }
        let model = try ctx.uuidParameter("threat_model_id")
        let diagram = try ctx.uuidParameter("diagram_id")
        try await store.refreshForRequest(model: model)
        guard let (node, url) = try await cluster.remoteOwner(of: diagram) else { return nil }
        return try await cluster.forward(ctx, to: url, node: node)
    }

    func createInCluster(_ ctx: RequestContext, user: AuthenticatedUser, _ cluster: ClusterCoordinator)
        async throws -> HTTPResponse
    {
        let model = try ctx.uuidParameter("threat_model_id")
        try await store.refreshForRequest(model: model)
        let t = try target(ctx, user: user)
        let conflict = APIError(
            status: 409, code: "conflict",
            description: "a collaboration session is already live for this diagram; join it",
            extra: ["join_url": .string(webSocketURL(t))])
        if try await cluster.remoteOwner(of: t.diagram) != nil { throw conflict }
        if await directory.find(diagramID: t.diagram) != nil { throw conflict }
        switch try await cluster.place(model: t.model, diagram: t.diagram, host: Self.collabUser(user)) {
        case .local(let session):
            return .json(sessionJSON(await session.summary, t), status: 201)
        case .remote:
            throw conflict
        }
    }
}
