import Synchronization
import WireProtocol

/// The cluster's session directory in Redis: which node is alive, and which node owns each live
/// diagram session (DESIGN §11).
///
/// - Node registration: `tmi:node:{id}` = "{instance} {advertise URL}" with a TTL, renewed by
///   compare-and-renew. `start` refuses (`.duplicateNode`) while another live node holds the id.
/// - Ownership: `tmi:owner:{diagram}` = "{node} {token}" taken only if free (`SET … NX PX`),
///   with the fencing token `INCR tmi:fence:{diagram}` in the same script. Renewed every third
///   of the TTL by compare-and-renew, so a node never extends a lease it lost.
/// - Listing: `tmi:sessions` (diagram → owner value) and `tmi:session-info` (diagram → the
///   owner's free-form info) for `GET /collaboration/sessions` on any node.
///
/// ```swift
/// let directory = ClusterDirectory(redis: redis, node: try ClusterNode(id: "a", advertiseURL: "http://10.0.0.5:8080"))
/// try await directory.start()                       // throws .duplicateNode → exit 2
/// switch try await directory.acquire(diagramID: id, onLost: { lease, why in session.stop(why) }) {
/// case .acquired(let lease): /* run the session here; write ops with lease.fencingToken */
/// case .ownedBy(let owner): /* relay to owner.advertiseURL */
/// }
/// ```
public final class ClusterDirectory: Sendable {
    public let node: ClusterNode
    public let redis: RedisClient
    public let configuration: ClusterDirectoryConfiguration
    /// Distinguishes this process from an earlier one with the same node id.
    let instance: String
    let state = Mutex(DirectoryState())

    struct DirectoryState {
        var running = false
        var stopped = false
        var leases: [String: DiagramLease] = [:]
        var nodeTrustedUntil: ContinuousClock.Instant?
        var lastNodeRenewal: ContinuousClock.Instant?
        var renewer: Task<Void, Never>?
        /// Set when our registration was found taken by another instance.
        var conflict: String?
    }

    public init(redis: RedisClient, node: ClusterNode, configuration: ClusterDirectoryConfiguration = .init())
    {
        self.redis = redis
        self.node = node
        self.configuration = configuration
        var random = SystemRandomNumberGenerator()
        self.instance =
            String(random.next() as UInt64, radix: 36) + String(random.next() as UInt64, radix: 36)
    }

    var nodeValue: String { "\(instance) \(node.advertiseURL)" }
    func key(_ kind: String, _ id: String) -> String { "\(configuration.keyPrefix)\(kind):\(id)" }
    var sessionsKey: String { "\(configuration.keyPrefix)sessions" }
    var infoKey: String { "\(configuration.keyPrefix)session-info" }
    var ttlMilliseconds: String { String(configuration.leaseTTL.milliseconds) }

    /// Registers this node and starts renewing. Throws `.duplicateNode` when a live node holds
    /// the id (after waiting `duplicateWait` for a dead predecessor's key to expire), and
    /// `.unavailable` when Redis cannot be reached.
    public func start() async throws(ClusterDirectoryError) {
        let nodeKey = key("node", node.id)
        let deadline =
            ContinuousClock.now + (configuration.duplicateWait ?? configuration.nodeTTL + .seconds(1))
        while true {
            let sentAt = ContinuousClock.now
            let reply: RedisValue
            do {
                reply = try await redis.send(
                    RedisCommand(
                        "SET", nodeKey, nodeValue, "NX", "PX", String(configuration.nodeTTL.milliseconds)))
            } catch {
                throw ClusterDirectoryError(error)
            }
            if !reply.isNull {
                state.withLock { s in
                    s.running = true
                    s.nodeTrustedUntil = sentAt + configuration.nodeTTL * 2 / 3
                    s.lastNodeRenewal = sentAt
                }
                break
            }
            // Someone holds the id. A crashed predecessor's key expires within its TTL; a live
            // node keeps renewing it.
            let holder: String
            let remaining: Int64
            do {
                let replies = try await redis.pipeline([
                    RedisCommand("GET", nodeKey), RedisCommand("PTTL", nodeKey),
                ])
                holder = replies.first?.string ?? ""
                remaining = replies.last?.integer ?? 0
            } catch {
                throw ClusterDirectoryError(error)
            }
            let url = holder.split(separator: " ", maxSplits: 1).last.map(String.init) ?? "?"
            let wait = Duration.milliseconds(max(remaining, 0) + 20)
            guard ContinuousClock.now + wait <= deadline else {
                throw .duplicateNode(id: node.id, advertiseURL: url)
            }
            try? await Task.sleep(for: wait)
        }
        let task = Task { await self.renewLoop() }  // runs until stop() cancels it
        state.withLock { $0.renewer = task }
    }

    /// Releases every lease this node holds, deletes its registration and stops renewing.
    public func stop() async {
        let (leases, renewer) = state.withLock { s in
            s.running = false
            s.stopped = true
            defer {
                s.leases = [:]
                s.renewer = nil
            }
            return (Array(s.leases.values), s.renewer)
        }
        renewer?.cancel()
        for lease in leases {
            lease.end(.directoryStopped)
            _ = try? await redis.eval(
                ClusterScripts.release, keys: [key("owner", lease.diagramID), sessionsKey, infoKey],
                arguments: [lease.ownerValue, lease.diagramID], timeout: .seconds(1))
        }
        _ = try? await redis.eval(
            ClusterScripts.deregister, keys: [key("node", node.id)], arguments: [nodeValue],
            timeout: .seconds(1))
    }

    /// True when the node is registered, its registration was renewed recently, and Redis is
    /// connected: the `/readyz` answer (no round trip; see `checkReadiness` for one).
    public var isReady: Bool {
        let ok = state.withLock { s in
            s.running && s.conflict == nil && (s.nodeTrustedUntil.map { ContinuousClock.now < $0 } ?? false)
        }
        return ok && redis.isAvailable
    }

    /// `isReady` confirmed by a PING within `timeout`.
    public func checkReadiness(timeout: Duration = .seconds(1)) async -> Bool {
        guard isReady else { return false }
        return (try? await redis.ping(timeout: timeout)) != nil
    }

    /// The leases this node holds now.
    public var ownedLeases: [DiagramLease] { state.withLock { Array($0.leases.values) } }

    /// This node's lease on a diagram, if it holds a valid one.
    public func lease(for diagramID: String) -> DiagramLease? {
        state.withLock { $0.leases[diagramID] }.flatMap { $0.isValid ? $0 : nil }
    }
}

extension Duration {
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return max(1, seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }
}
