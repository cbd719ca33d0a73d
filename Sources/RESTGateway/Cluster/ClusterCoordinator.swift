import Cluster
import CollabCore
import SessionActors
import Storage
import Synchronization
import WireProtocol

/// One node of several (DESIGN §11, docs/cluster.md): decides where a diagram's live session
/// runs, and keeps this node's sessions and its Redis leases in step.
///
/// - `place` answers "here" (this node holds the lease and runs the session) or "there" (the
///   owner's advertise URL, to relay to). Taking a free or expired lease makes this node the
///   owner: it first makes its new fencing token durable in the store (so from that moment the
///   old owner's writes are refused), then reads the diagram back from the store, then starts
///   the session with every operation carrying the token. Concurrent joiners of one diagram
///   wait for the same placement.
/// - A lease lost (expired, taken over, Redis unreachable for two thirds of its TTL) ends the
///   session as `ownershipLost`: its clients are closed with 1012 and reconnect to the new owner.
/// - `maintain` (every third of the lease TTL) releases the leases of sessions that ended and
///   publishes each session's summary for the cluster-wide listing.
public final class ClusterCoordinator: Sendable {
    public let directory: ClusterDirectory
    let store: ThreatModelStore
    let sessions: SessionDirectory
    let logger: Logger
    let signature: RelaySignature
    /// Verifies peers reached over `https`/`wss` advertise URLs (`--cluster-ca` or the system store).
    let peerTLS: TLSContext?
    /// Keep-alive connections to the other nodes for forwarded requests.
    let peers: PeerClientPool
    private let placing = Mutex<[String: Task<Placement, any Error>]>([:])

    public var nodeID: String { directory.node.id }

    public init(
        directory: ClusterDirectory, secret: String, store: ThreatModelStore, sessions: SessionDirectory,
        logger: Logger, peerTLS: TLSContext? = nil
    ) {
        self.peerTLS = peerTLS
        self.peers = PeerClientPool(tls: peerTLS, timeout: Self.peerTimeout)
        self.directory = directory
        self.store = store
        self.sessions = sessions
        self.logger = logger
        self.signature = RelaySignature(secret: Array(secret.utf8))
    }

    enum Placement: Sendable {
        case local(DiagramSession)
        case remote(nodeID: String, url: String)
    }

    /// Where the live session of `diagram` runs, starting it here if no node owns it.
    func place(model: String, diagram: String, host: CollabUser?) async throws(APIError) -> Placement {
        if let live = await sessions.find(diagramID: diagram), directory.lease(for: diagram) != nil {
            return .local(live)
        }
        let task = placing.withLock { p in
            if let running = p[diagram] { return running }
            let task = Task { () async throws -> Placement in
                try await self.takePlacement(model: model, diagram: diagram, host: host)
            }
            p[diagram] = task
            return task
        }
        defer { placing.withLock { p in if p[diagram] == task { p[diagram] = nil } } }
        do {
            return try await task.value
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError.unavailable("\(error)")
        }
    }

    private func takePlacement(model: String, diagram: String, host: CollabUser?) async throws -> Placement {
        let key = DiagramKey(model: model, diagram: diagram)
        let sessions = self.sessions
        let logger = self.logger
        let acquisition: LeaseAcquisition
        do {
            acquisition = try await directory.acquire(
                diagramID: diagram, notBelow: Int64(clamping: store.state.fences[key] ?? 0),
                onLost: { lease, why in
                    logger.warning(
                        "diagram ownership lost",
                        [("diagram_id", .string(lease.diagramID)), ("reason", .string(why.description))])
                    Task { await sessions.end(diagramID: lease.diagramID, reason: .ownershipLost) }
                })
        } catch {
            throw APIError.unavailable(error.description)
        }
        switch acquisition {
        case .acquired(let lease):
            do {
                return .local(
                    try await startSession(model: model, diagram: diagram, host: host, lease: lease))
            } catch {
                await directory.release(lease)
                throw error
            }
        case .ownedBy(let owner) where owner.nodeID == nodeID:
            // Our lease, but its session ended (release pending) or was never started.
            if let live = await sessions.find(diagramID: diagram) { return .local(live) }
            guard let lease = directory.lease(for: diagram) else {
                throw APIError.unavailable("this node's lease on the diagram lapsed; retry")
            }
            return .local(try await startSession(model: model, diagram: diagram, host: host, lease: lease))
        case .ownedBy(let owner):
            guard let url = owner.advertiseURL else {
                throw APIError.unavailable("the node owning this diagram is going away; retry shortly")
            }
            return .remote(nodeID: owner.nodeID, url: url)
        }
    }

    /// Fence, reload, start: the order that makes a takeover safe.
    private func startSession(model: String, diagram: String, host: CollabUser?, lease: DiagramLease)
        async throws -> DiagramSession
    {
        let token = UInt64(clamping: lease.fencingToken)
        try await store.refresh(model: model)
        try await store.write { state throws(APIError) in
            guard state.models[model]?.children[.diagrams]?[diagram] != nil else {
                throw APIError.notFound("diagram \(diagram) not found")
            }
            return ((), [.fence(model: model, diagram: diagram, token: token)])
        }
        try await store.refresh(model: model)
        guard let record = store.state.models[model]?.children[.diagrams]?[diagram] else {
            throw APIError.notFound("diagram \(diagram) not found")
        }
        let state = DiagramState(
            revision: Int64(record.fields["update_vector"]?.doubleValue ?? 0),
            cells: record.fields["cells"]?.arrayValue ?? [])
        let applied = try await store.recentOperations(model: model, diagram: diagram).compactMap(
            AppliedOperation.init(json:))
        // A session left from an earlier lease of this node cannot be trusted: its lease ended.
        if let stale = await sessions.find(diagramID: diagram) {
            await sessions.end(diagramID: stale.diagramID, reason: .ownershipLost)
        }
        let created = await sessions.create(
            threatModelID: model, diagramID: diagram, host: host, state: state,
            persistence: StoreSessionPersistence(store: store, fence: token, stillOwner: { lease.isValid }),
            applied: applied)
        switch created {
        case .created(let s), .exists(let s):
            logger.info(
                "diagram session owned here",
                [
                    ("diagram_id", .string(diagram)), ("fencing_token", .number(Double(token))),
                    ("revision", .number(Double(state.revision))),
                    ("remembered_operations", .number(Double(applied.count))),
                ])
            return s
        }
    }

    /// Releases the leases of ended sessions and publishes the live ones' summaries; the
    /// server runs it every third of the lease TTL.
    func maintain(describe: @Sendable (SessionSummary) -> String) async {
        for lease in directory.ownedLeases {
            let inFlight = placing.withLock { $0[lease.diagramID] != nil }
            guard !inFlight else { continue }
            if let live = await sessions.find(diagramID: lease.diagramID) {
                _ = try? await directory.publish(info: describe(await live.summary), for: lease)
            } else {
                await directory.release(lease)
            }
        }
    }

    /// Sends `ctx`'s request, as it came (method, target, body and the caller's own credentials,
    /// which every node accepts), to the node at `url` that owns the diagram's session, and
    /// answers with its response. A request that was already forwarded once is not forwarded
    /// again (the owner moved meanwhile: 503, retry).
    func forward(_ ctx: RequestContext, to url: String, node: String) async throws(APIError) -> HTTPResponse {
        guard ctx.request.headers[SharedStoreRoutes.forwardedHeader] == nil else {
            throw APIError.unavailable("the diagram's session moved to node \(node) while forwarding; retry")
        }
        let peer = try peerEndpoint(url, node: node)
        var request = ctx.request
        request.headers.set(SharedStoreRoutes.forwardedHeader, nodeID)
        request.headers.remove("Connection")
        request.headers.remove("Content-Length")
        request.headers.remove("Transfer-Encoding")
        request.headers.remove("Accept-Encoding")
        // On a kept-alive connection to the owner (`PeerClientPool`). The 10 s timeout bounds
        // every read and write, the TCP connect and the TLS handshake included.
        let answer: HTTPClientResponse
        do {
            answer = try await peers.send(request, to: peer)
        } catch {
            let reason = Self.describe(error)
            logger.warning(
                "forward to owner failed",
                [("owner", .string(node)), ("url", .string(url)), ("reason", .string(reason))])
            throw APIError.unavailable(
                "node \(node), which owns the diagram's session, did not answer: \(reason)")
        }
        var headers = HTTPHeaders()
        let hopByHop: Set<String> = [
            "content-length", "transfer-encoding", "connection", "date", "content-encoding",
        ]
        for (name, value) in answer.headers where !hopByHop.contains(name.lowercased()) {
            headers.add(name, value)
        }
        return HTTPResponse(status: answer.status, headers: headers, body: answer.decodedBody ?? answer.body)
    }

    /// The owner of `diagram` when it is another node (its id and URL), nil when it is this node
    /// or nobody. Redis down: 503.
    func remoteOwner(of diagram: String) async throws(APIError) -> (node: String, url: String)? {
        let owner: DiagramOwner?
        do {
            owner = try await directory.owner(of: diagram)
        } catch {
            throw APIError.unavailable(error.description)
        }
        guard let owner, owner.nodeID != nodeID else { return nil }
        guard let url = owner.advertiseURL else {
            throw APIError.unavailable("the node owning this diagram's session is going away; retry shortly")
        }
        return (owner.nodeID, url)
    }

    /// Longest wait on a peer: connect, TLS handshake, and each read or write after them.
    static let peerTimeout: Duration = .seconds(10)

    /// Where node `node` is reached (its advertise URL as published in the directory). Every node
    /// checks its own at start, so a URL this cannot parse is another version's or tampered: 503.
    func peerEndpoint(_ url: String, node: String) throws(APIError) -> PeerEndpoint {
        do throws(PeerEndpoint.Invalid) {
            return try PeerEndpoint.parse(url)
        } catch {
            logger.warning(
                "peer advertise URL unusable",
                [("owner", .string(node)), ("url", .string(url)), ("reason", .string(error.description))])
            throw APIError.unavailable("node \(node) has an advertise URL this node cannot reach")
        }
    }

    /// An HTTP client failure in words for the log and the 503 (the TLS reason when it is one).
    static func describe(_ error: HTTPClientError) -> String {
        switch error {
        case .tls(let tls): tls.description
        case .stream(let stream): "connection \(stream)"
        case .malformed(let parse): "malformed response: \(parse)"
        case .closedBeforeResponse: "connection closed before the response"
        }
    }
}

extension APIError {
    /// 503 when the cluster directory (Redis) or the diagram's owner cannot be reached now.
    static func unavailable(_ d: String) -> APIError {
        var h = HTTPHeaders()
        h.add("Retry-After", "1")
        return APIError(status: 503, code: "cluster_unavailable", description: d, headers: h)
    }
}
