import CollabCore
import FoundationEssentials
import Storage
import Synchronization
import WireProtocol

/// Owns identity: signing keys, users, refresh tokens and revocations, logins in progress, and
/// the OAuth/OIDC flows over them (DESIGN §5). One instance per server. This module sits below the
/// gateway and never imports it (DESIGN §2): the gateway's `IdentityRoutes` exposes the service
/// over HTTP, maps its `IdentityError`s to responses, and adapts it as the `Authenticator`.
///
/// State lives under one `Mutex`, never held across an `await` or a signature. Changes that must
/// survive a restart (users, refresh tokens, revocations) are staged while the lock is held and
/// flushed to disk on the service's own I/O thread before the caller answers.
public final class IdentityService: Sendable {
    public let configuration: IdentityConfiguration
    let codec: JWTCodec
    /// The JWKS document, fixed for the life of the process.
    let jwks: JSONValue
    let state: Mutex<IdentityState>
    let usersFile: JournaledFile<UserRegistry>
    let tokensFile: JournaledFile<TokenLedger>
    /// Access tokens already verified (see `VerifiedTokenCache`).
    let verifiedTokens = VerifiedTokenCache()
    /// Each OIDC provider's signing keys, by provider id.
    let keySets: [String: ProviderKeySet]
    /// Revocations made on any node, when they are shared (`configuration.sharedStore`).
    let revocations = RevocationCache()
    /// Logins in progress (`configuration.pendingLogins`, else this process's memory).
    let pendingLogins: any PendingLoginStore
    private let poller: Task<Void, Never>?
    let io: IOThread

    /// Starts the service: creates `<data>/identity` (mode 0700), loads or creates the signing key
    /// (mode 0600) and loads users and tokens. All file work runs on the service's I/O thread.
    /// Providers missing endpoints are completed from discovery first; one that cannot be
    /// discovered throws an `IdentityConfigurationError` naming it.
    public static func open(_ configuration: IdentityConfiguration) async throws -> IdentityService {
        var resolved = configuration
        resolved.oidcProviders = try await ProviderDiscovery.resolve(
            configuration.oidcProviders, transport: configuration.transport)
        let configuration = resolved
        let shared = try await sharedKey(configuration)
        let io = try IOThread(name: "tmi-identity-io")
        do {
            let loaded = try await io.run { () throws(StorageError) in
                Result { try Loaded(configuration, sharedKey: shared) }
            }
            .get()
            let service = try IdentityService(configuration: configuration, loaded: loaded, io: io)
            if let shared = configuration.sharedStore {
                // Tokens this node issued while it ran embedded keep working on every node.
                try await service.importLocalTokens(into: shared)
                // Start with every revocation already made, so no revoked token passes meanwhile.
                try await service.revocations.sync(shared, now: service.now(), leeway: configuration.leeway)
            }
            return service
        } catch {
            io.stop()
            throw error
        }
    }

    private init(configuration: IdentityConfiguration, loaded: Loaded, io: IOThread) throws {
        self.configuration = configuration
        self.io = io
        pendingLogins = configuration.pendingLogins ?? MemoryPendingLoginStore()
        var keySets: [String: ProviderKeySet] = [:]
        for p in configuration.oidcProviders where p.kind == .oidc {
            if let url = p.jwksURI {
                keySets[p.id] = ProviderKeySet(url: url, transport: configuration.transport)
            }
        }
        self.keySets = keySets
        codec = JWTCodec(
            key: loaded.key, issuer: configuration.publicBaseURL, audience: configuration.audience,
            leeway: configuration.leeway)
        if case .rsa(let rsa, let kid) = loaded.key {
            jwks = ["keys": [try JSONWebKey(rsa).json(kid: kid)]]
        } else {
            // Never publish a shared secret: with HS256 there is no public key to offer.
            jwks = ["keys": []]
        }
        state = Mutex(IdentityState(users: loaded.users.content, ledger: loaded.tokens.content))
        usersFile = JournaledFile(
            directory: configuration.directory, name: "users", io: io, loaded: loaded.users)
        tokensFile = JournaledFile(
            directory: configuration.directory, name: "tokens", io: io, loaded: loaded.tokens)
        for (name, skipped) in [("users", loaded.users.skippedLines), ("tokens", loaded.tokens.skippedLines)]
        where skipped > 0 {
            configuration.warn(
                "skipped \(skipped) torn line(s) of \(name).journal (a write a crash cut short)")
        }
        let clock = configuration
        poller = configuration.sharedStore.map { [revocations] store in
            RevocationCache.poll(revocations, store, leeway: clock.leeway, now: { clock.now() })
        }
    }

    deinit {
        poller?.cancel()
        io.stop()
    }

    /// The public signing key set for `GET /.well-known/jwks.json` (RFC 7517 §5).
    public var jsonWebKeySet: JSONValue { jwks }

    /// The user with internal id `id`, if any.
    public func user(id: String) -> UserRecord? { state.withLock { $0.users[id] } }

    /// The user with internal id `id`: this node's, else (nodes sharing a store) the one another
    /// node registered, kept here from then on.
    public func resolveUser(id: String) async throws -> UserRecord? {
        if let user = user(id: id) { return user }
        guard let shared = configuration.sharedStore, let user = try await shared.user(id: id) else {
            return nil
        }
        state.withLock { $0.users.adopt(user) }
        return user
    }

    /// Every known user, oldest first.
    public var users: [UserRecord] { state.withLock { $0.users.all } }

    func now() -> Int64 { configuration.now() }

    /// The back-channel client for `provider`, with its key set and the current time.
    func client(for provider: OIDCProviderConfiguration) -> OIDCClient {
        OIDCClient(
            provider: provider, transport: configuration.transport, keys: keySets[provider.id], now: now(),
            skew: configuration.idTokenSkew)
    }

    // MARK: Persistence

    /// For the pending-login records (`encodePending`).
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    /// Stages the users; call with the lock held, right after the change. The registry is
    /// copied (a value); the flush journals what changed, off the lock (`JournaledFile`).
    func stageUsers(_ s: inout IdentityState) {
        let changes = s.users.takeChanges()
        usersFile.stage(s.users, changes: changes)
    }

    /// How often the ledger drops expired entries: pruning walks every token, so it runs at most
    /// this often rather than on every login and refresh. Until then expired entries are only
    /// kept, never honoured (every use checks expiry).
    static let ledgerPruneInterval: Int64 = 60

    /// Stages the token ledger; call with the lock held, right after the change. The ledger is
    /// copied (a value); the flush journals what changed, off the lock (`JournaledFile`).
    func stageTokens(_ s: inout IdentityState, now: Int64) {
        if now >= s.ledgerPrunedAt + Self.ledgerPruneInterval || now < s.ledgerPrunedAt {
            s.ledger.prune(now: now, leeway: configuration.leeway)
            s.ledgerPrunedAt = now
        }
        let changes = s.ledger.takeChanges()
        tokensFile.stage(s.ledger, changes: changes)
    }

    /// Makes staged changes durable before the caller answers.
    func flush(users: Bool = false, tokens: Bool = false) async throws {
        if users { try await usersFile.flush() }
        if tokens { try await tokensFile.flush() }
    }
}

/// What start-up reads from (or first creates in) the data directory.
private struct Loaded: @unchecked Sendable {
    // @unchecked: `SigningKey` holds an immutable `RSAKey` (itself documented Sendable); the rest
    // are plain values. Built on the I/O thread and handed over once.
    var key: SigningKey
    var users: JournaledFile<UserRegistry>.Loaded
    var tokens: JournaledFile<TokenLedger>.Loaded

    /// `sharedKey`: the key (or secret) every node shares (`IdentityService.sharedKey`); nil
    /// keeps the data directory's, generated on first start.
    init(_ configuration: IdentityConfiguration, sharedKey: [UInt8]?) throws {
        let directory = configuration.directory
        try IdentityDisk.makePrivateDirectory(directory)
        switch configuration.algorithm {
        case .rs256:
            let path = directory + "/signing-key.pem"
            let rsa: RSAKey
            if let pem = sharedKey {
                do {
                    rsa = try RSAKey(privateKeyPEM: pem)
                } catch {
                    throw IdentityConfigurationError(
                        "the shared signing key is not an RSA private key in PEM")
                }
            } else if let pem = try FileIO.readAll(path) {
                rsa = try RSAKey(privateKeyPEM: pem)
            } else {
                rsa = try RSAKey.generate()
                try IdentityDisk.writeSecret(try rsa.privateKeyPEM(), to: path)
            }
            key = .rsa(rsa, kid: try JSONWebKey(rsa).thumbprint())
        case .hs256:
            let secret: [UInt8]
            if let configured = configuration.hmacSecret {
                secret = Array(configured.utf8)
            } else if let sharedKey {
                secret = sharedKey
            } else {
                let path = directory + "/hs256-secret"
                if let stored = try FileIO.readAll(path) {
                    secret = stored
                } else {
                    secret = Array(try CryptoPrimitives.randomToken(byteCount: 48).utf8)
                    try IdentityDisk.writeSecret(secret, to: path)
                }
            }
            // RFC 7518 §3.2: "A key of the same size as the hash output (for instance, 256 bits
            // for "HS256") or larger MUST be used with this algorithm."
            guard secret.count >= 32 else {
                throw IdentityConfigurationError("the HS256 secret must be at least 32 bytes long")
            }
            key = .hmac(secret, kid: "tmi-hs256")
        }
        users = try JournaledFile.load(directory: directory, name: "users")
        tokens = try JournaledFile.load(directory: directory, name: "tokens")
    }
}
