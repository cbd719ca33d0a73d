import Synchronization

/// Access tokens whose signature and claims have already been checked, so a client that sends
/// the same bearer token on every request pays for one RSA verification and two JSON parses
/// once, not per request (they were the largest cost of an authenticated read; see
/// benchmarks/rest.md).
///
/// Safe because a JWS is immutable: the exact token string that verified against our key keeps
/// verifying for the life of the process (the key never changes while it runs). What does change
/// with time is re-checked on every hit by the caller: the validity window (RFC 7519 §4.1.4,
/// §4.1.5) and the revocation list. Bounded: when full, it starts over, which costs one
/// verification per live token and keeps memory flat under a flood of distinct tokens.
final class VerifiedTokenCache: Sendable {
    let capacity: Int
    private let entries = Mutex<[String: AccessTokenClaims]>([:])

    init(capacity: Int = 4_096) { self.capacity = capacity }

    /// The claims `token` verified with earlier, if it is cached.
    func claims(of token: String) -> AccessTokenClaims? { entries.withLock { $0[token] } }

    /// Remembers that `token` verified with `claims`.
    func insert(_ token: String, _ claims: AccessTokenClaims) {
        entries.withLock { e in
            if e.count >= capacity, e[token] == nil { e.removeAll(keepingCapacity: true) }
            e[token] = claims
        }
    }

    var count: Int { entries.withLock { $0.count } }
}
