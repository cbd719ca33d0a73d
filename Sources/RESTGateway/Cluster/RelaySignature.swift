import CollabCore
import Identity
import Synchronization
import WireProtocol

/// The node-to-node relay handshake's authentication (DESIGN §11, docs/cluster.md).
///
/// The relaying node has already authenticated the user and checked their access; the owner must
/// be able to trust who the user is without a token of its own. So the relaying node sends the
/// identity in `X-TMI-Relay-User` and signs it, together with the request target, a timestamp and
/// a random nonce, with HMAC-SHA-256 under `--cluster-secret`. The owner accepts a signature only
/// within `maxSkew` of its clock and only once per nonce (a captured handshake cannot be
/// replayed); identity headers are only ever read from a request whose signature verified.
struct RelaySignature: Sendable {
    static let userHeader = "X-TMI-Relay-User"
    static let timeHeader = "X-TMI-Relay-Time"
    static let nonceHeader = "X-TMI-Relay-Nonce"
    static let nodeHeader = "X-TMI-Relay-Node"
    static let signatureHeader = "X-TMI-Relay-Signature"
    /// How far apart two nodes' clocks (plus network delay) may be.
    static let maxSkew: Double = 30

    let secret: [UInt8]
    let nonces = NonceCache()

    /// The relayed user as the owner sees them.
    struct RelayedUser: Sendable, Equatable {
        var user: CollabUser
        var role: CollabRole
    }

    enum Failure: Error, CustomStringConvertible {
        case missing(String), badSignature, stale(Double), replayed, malformedUser
        var description: String {
            switch self {
            case .missing(let h): "missing \(h)"
            case .badSignature: "the signature does not match (wrong --cluster-secret?)"
            case .stale(let skew): "timestamp is \(Int(skew)) s away from this node's clock"
            case .replayed: "the nonce was already used"
            case .malformedUser: "the relayed identity is malformed"
            }
        }
    }

    func message(time: String, nonce: String, node: String, target: String, user: String) -> [UInt8] {
        Array("tmi-relay-v1\n\(time)\n\(nonce)\n\(node)\nGET \(target)\n\(user)".utf8)
    }

    /// The headers for a relay handshake to `target` (path and query) on behalf of `user`.
    func sign(target: String, user: RelayedUser, node: String, now: Double) -> HTTPHeaders {
        let userJSON: JSONValue = [
            "id": .string(user.user.userID), "email": .string(user.user.email),
            "name": .string(user.user.displayName ?? ""), "role": .string(user.role.rawValue),
        ]
        let encodedUser = Self.base64url(userJSON.serialized())
        let time = String(Int64(now))
        var random = SystemRandomNumberGenerator()
        let nonce = String(random.next() as UInt64, radix: 16) + String(random.next() as UInt64, radix: 16)
        let mac = Self.hmac(
            secret, message(time: time, nonce: nonce, node: node, target: target, user: encodedUser))
        var headers = HTTPHeaders()
        headers.add(Self.userHeader, encodedUser)
        headers.add(Self.timeHeader, time)
        headers.add(Self.nonceHeader, nonce)
        headers.add(Self.nodeHeader, node)
        headers.add(Self.signatureHeader, Self.base64url(mac))
        return headers
    }

    /// Verifies a relay handshake; returns the relayed user and the sending node.
    func verify(_ request: HTTPRequest, now: Double) throws(Failure) -> (RelayedUser, node: String) {
        func header(_ name: String) throws(Failure) -> String {
            guard let v = request.headers[name], !v.isEmpty, v.utf8.count <= 4096 else {
                throw .missing(name)
            }
            return v
        }
        let user = try header(Self.userHeader)
        let time = try header(Self.timeHeader)
        let nonce = try header(Self.nonceHeader)
        let node = try header(Self.nodeHeader)
        let signature = try header(Self.signatureHeader)
        let expected = Self.hmac(
            secret, message(time: time, nonce: nonce, node: node, target: request.target, user: user))
        guard CryptoPrimitives.constantTimeEqual(Array(signature.utf8), Array(Self.base64url(expected).utf8))
        else {
            throw .badSignature
        }
        guard let seconds = Double(time) else { throw .stale(.infinity) }
        guard abs(now - seconds) <= Self.maxSkew else { throw .stale(now - seconds) }
        guard nonces.insert(nonce, now: now, keep: 2 * Self.maxSkew) else { throw .replayed }
        guard let bytes = Base64URL.decode(user), let json = try? JSONValue.parse(bytes),
            let id = json["id"]?.stringValue, let email = json["email"]?.stringValue,
            let role = json["role"]?.stringValue.flatMap(CollabRole.init(rawValue:))
        else { throw .malformedUser }
        let name = json["name"]?.stringValue
        return (
            RelayedUser(
                user: CollabUser(userID: id, email: email, displayName: name?.isEmpty == false ? name : nil),
                role: role), node
        )
    }

    /// HMAC-SHA-256 and base64url are the identity module's (the same primitives sign our JWTs);
    /// an HMAC OpenSSL cannot compute is empty, which no signature matches.
    static func hmac(_ key: [UInt8], _ data: [UInt8]) -> [UInt8] {
        (try? CryptoPrimitives.hmacSHA256(key: key, message: data)) ?? []
    }

    static func base64url(_ bytes: [UInt8]) -> String { Base64URL.encode(bytes) }
}

/// Nonces seen recently, each forgotten once its timestamp could no longer pass the skew check.
final class NonceCache: Sendable {
    private let seen = Mutex<[String: Double]>([:])
    /// At most this many remembered; past it the handshake is refused (a flood, not a cluster).
    static let limit = 100_000

    /// True when `nonce` is new (and now remembered until `now + keep`).
    func insert(_ nonce: String, now: Double, keep: Double) -> Bool {
        seen.withLock { s in
            if s.count > Self.limit / 2 { s = s.filter { $0.value > now } }
            guard s[nonce] == nil, s.count < Self.limit else { return false }
            s[nonce] = now + keep
            return true
        }
    }
}
