import Synchronization
import WireProtocol

/// Keep-alive connections to the other nodes, reused by forwarded requests. Before, each forward
/// opened a connection to the owner and closed it after the answer, so over `https` every one
/// paid a TCP and a TLS handshake (BENCHMARKS.md, "Several nodes").
///
/// Each pooled `HTTPClient` holds one connection and serves one request at a time; a forward
/// takes an idle one for its peer (or makes one) and gives it back after the answer. Bounded:
/// at most `maxIdlePerPeer` idle connections per peer (more concurrent forwards open more, and
/// close them after), and a connection idle longer than `maxIdleTime` is closed rather than
/// reused, well before a peer's own idle timeout (60 s by default) closes it.
/// A connection the peer closed anyway is noticed by the client, which retries once on a new one
/// (`HTTPClient.send`): the peer had read nothing of the request, so nothing is applied twice.
final class PeerClientPool: Sendable {
    private struct Idle {
        var client: HTTPClient
        var since: ContinuousClock.Instant
    }

    private struct State {
        var idle: [PeerEndpoint: [Idle]] = [:]
        var closed = false
    }

    static let maxIdlePerPeer = 8

    private let state = Mutex(State())
    private let tls: TLSContext?
    private let timeout: Duration
    private let maxIdleTime: Duration

    /// - Parameters:
    ///   - tls: the client context for peers reached over `https`.
    ///   - timeout: the longest wait for a connect, a handshake, or any read or write.
    ///   - maxIdleTime: how long an idle connection may wait to be reused (a third of the peers'
    ///     default idle timeout).
    init(tls: TLSContext?, timeout: Duration, maxIdleTime: Duration = .seconds(20)) {
        self.tls = tls
        self.timeout = timeout
        self.maxIdleTime = maxIdleTime
    }

    /// Sends `request` to `peer` on a pooled connection and returns the answer.
    func send(_ request: HTTPRequest, to peer: PeerEndpoint) async throws(HTTPClientError)
        -> HTTPClientResponse
    {
        let (reusable, stale) = take(peer)
        for client in stale { await client.close() }
        let client =
            reusable
            ?? HTTPClient(host: peer.host, port: peer.port, timeout: timeout, tls: peer.tls ? tls : nil)
        let answer: HTTPClientResponse
        do {
            answer = try await client.send(request)
        } catch {
            await client.close()
            throw error
        }
        if !giveBack(client, to: peer) { await client.close() }
        return answer
    }

    /// How many idle connections the pool holds for `peer`.
    func idleCount(_ peer: PeerEndpoint) -> Int { state.withLock { $0.idle[peer]?.count ?? 0 } }

    /// Closes every idle connection; later forwards still work, on connections of their own.
    func close() async {
        let all = state.withLock { s -> [HTTPClient] in
            s.closed = true
            defer { s.idle = [:] }
            return s.idle.values.flatMap { $0.map(\.client) }
        }
        for client in all { await client.close() }
    }

    /// The most recently used idle client for `peer` that is young enough, and the ones too old
    /// to use (for the caller to close).
    private func take(_ peer: PeerEndpoint) -> (HTTPClient?, [HTTPClient]) {
        let now = ContinuousClock.now
        return state.withLock { s in
            guard var list = s.idle[peer] else { return (nil, []) }
            // Oldest first: those past their time are at the front.
            let fresh = list.firstIndex { now - $0.since < maxIdleTime } ?? list.endIndex
            let stale = list[..<fresh].map(\.client)
            list.removeSubrange(..<fresh)
            let reused = list.popLast()?.client
            s.idle[peer] = list.isEmpty ? nil : list
            return (reused, stale)
        }
    }

    /// Puts `client` back as idle; false when the pool is full for that peer or closed.
    private func giveBack(_ client: HTTPClient, to peer: PeerEndpoint) -> Bool {
        state.withLock { s in
            guard !s.closed, s.idle[peer, default: []].count < Self.maxIdlePerPeer else { return false }
            s.idle[peer, default: []].append(Idle(client: client, since: .now))
            return true
        }
    }
}
