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
    private let entries = Mutex<[TokenKey: AccessTokenClaims]>([:])

    init(capacity: Int = 4_096) { self.capacity = capacity }

    /// The claims `token` verified with earlier, if it is cached.
    func claims(of token: String) -> AccessTokenClaims? { entries.withLock { $0[TokenKey(token)] } }

    /// Remembers that `token` verified with `claims`.
    func insert(_ token: String, _ claims: AccessTokenClaims) {
        let key = TokenKey(token)
        entries.withLock { e in
            if e.count >= capacity, e[key] == nil { e.removeAll(keepingCapacity: true) }
            e[key] = claims
        }
    }

    var count: Int { entries.withLock { $0.count } }
}

/// A token as a dictionary key, hashed by its length and its last 32 bytes only: hashing the
/// whole ~1 KB string on every authenticated request was a visible cost (issue 15,
/// benchmarks/perf.md). Equality still compares the whole token.
///
/// Safe against crafted collisions: a JWS ends with its signature, so the tails of valid tokens
/// are as random as signatures are, and only tokens that verified are ever inserted; a forged
/// token whose tail matches a cached one costs one full comparison and then fails it.
struct TokenKey: Hashable {
    let token: String

    init(_ token: String) { self.token = token }

    func hash(into hasher: inout Hasher) {
        let utf8 = token.utf8
        hasher.combine(utf8.count)
        let hashed: Void? = utf8.withContiguousStorageIfAvailable { bytes in
            hasher.combine(bytes: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes.suffix(32))))
        }
        if hashed == nil { hasher.combine(token) }
    }

    static func == (lhs: TokenKey, rhs: TokenKey) -> Bool { lhs.token == rhs.token }
}
