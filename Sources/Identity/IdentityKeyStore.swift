import Storage
import WireProtocol

/// Where a generated signing key is kept when several nodes must sign and verify with the same
/// one (DESIGN §11): without `--signing-key`, the first node to start generates the key and every
/// other node sharing the store takes that one. The embedded store keeps it in the data
/// directory (`identity/signing-key.pem`, as before); the PostgreSQL one in a table, so nodes
/// behind one load balancer accept each other's tokens. Implemented by the gateway, which knows
/// the store; this module never imports a database.
public protocol IdentityKeyStore: Sendable {
    /// The value kept under `name`; when there is none yet, `candidate` is kept and returned.
    /// Two nodes racing get the same answer: the first value kept wins.
    func keepFirst(_ name: String, candidate: [UInt8]) async throws -> [UInt8]
}

extension IdentityService {
    /// The PEM key (RS256) or secret (HS256) every node shares: the configured file, else the
    /// configured secret, else the store's (generated once); nil keeps the data directory's.
    static func sharedKey(_ configuration: IdentityConfiguration) async throws -> [UInt8]? {
        switch configuration.algorithm {
        case .rs256:
            if let path = configuration.signingKeyFile {
                guard let pem = try FileIO.readAll(path) else {
                    throw IdentityConfigurationError("--signing-key: cannot read '\(path)'")
                }
                return pem
            }
            guard let store = configuration.keyStore else { return nil }
            return try await store.keepFirst(
                "signing-key.pem", candidate: try RSAKey.generate().privateKeyPEM())
        case .hs256:
            if configuration.signingKeyFile != nil {
                throw IdentityConfigurationError(
                    "--signing-key is an RSA key for RS256; with HS256 every node shares --jwt-secret")
            }
            guard configuration.hmacSecret == nil, let store = configuration.keyStore else { return nil }
            return try await store.keepFirst(
                "hs256-secret", candidate: Array(try CryptoPrimitives.randomToken(byteCount: 48).utf8))
        }
    }
}
