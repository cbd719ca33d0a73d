import CollabCore
import Synchronization
import WireProtocol

/// A provider's JWK Set, fetched on first use and cached. A token whose `kid` is not in the
/// cached set makes it fetch the set again, once, for that token: keys rotate, and a provider
/// publishes the new key before signing with it. A `kid` still unknown after that is refused.
final class ProviderKeySet: Sendable {
    let url: String
    private let transport: any OIDCTransport
    private let keys = Mutex<[ProviderSigningKey]?>(nil)
    /// Fetches done so far (tests check that a known key needs none).
    private let fetchCount = Mutex(0)

    init(url: String, transport: any OIDCTransport) {
        self.url = url
        self.transport = transport
    }

    var fetches: Int { fetchCount.withLock { $0 } }

    /// The key that should have signed `token`, refetching the set once if it is not known.
    func key(for token: IDTokenVerifier.Parsed) async throws(ProviderRejection) -> ProviderSigningKey {
        if let cached = keys.withLock({ $0 }), let key = IDTokenVerifier.key(for: token, in: cached) {
            return key
        }
        let fresh = try await fetch()
        guard let key = IDTokenVerifier.key(for: token, in: fresh) else {
            throw .invalidIDToken(
                "no \(token.algorithm) key\(token.kid.map { " with kid '\($0.prefix(64))'" } ?? "") in the provider's JWKS"
            )
        }
        return key
    }

    private func fetch() async throws(ProviderRejection) -> [ProviderSigningKey] {
        fetchCount.withLock { $0 += 1 }
        var headers = HTTPHeaders()
        headers.set("Accept", "application/jwk-set+json, application/json")
        let document = try await ProviderHTTP.json(transport, "GET", url, headers, [])
        guard case .array(let list)? = document["keys"], list.count <= 100 else {
            throw .unavailable("the JWKS at \(url) has no 'keys' array")
        }
        let parsed = list.compactMap(ProviderSigningKey.from(jwk:))
        keys.withLock { $0 = parsed }
        return parsed
    }
}
