import Storage
import WireProtocol

/// A node that ran embedded and is restarted on a shared database keeps its users logged in:
/// the refresh tokens (hashes), their families' access tokens and the revocations in its own
/// token ledger (`identity/tokens.json` and its journal) are carried into the shared store once,
/// with the users they belong to.
extension IdentityService {
    /// The suffix `tokens.json` gets once imported: never read again, kept for the operator.
    static let importedSuffix = ".imported"

    /// Folds the journal into `tokens.json`, imports it into `shared` and renames it, so it is
    /// done once. The file's SHA-256 is recorded in the shared store first (`keepFirst`): the
    /// same file brought back, or found by a node restarted after a crash before the rename (the
    /// fold leaves a file with no journal beside it as it is), is never imported again,
    /// which could bring back a family revoked since (its rows are deleted). Every write is
    /// idempotent besides (a token, access id or revocation already there is kept; a user already
    /// there is not overwritten by this node's older copy). Expired tokens and revoked families
    /// are left behind.
    func importLocalTokens(into shared: any IdentitySharedStore) async throws {
        let (ledger, users) = state.withLock { ($0.ledger, $0.users) }
        guard !ledger.refreshTokens.isEmpty || !ledger.revokedAccessTokens.isEmpty else { return }
        let path = configuration.directory + "/tokens.json"
        // Everything into tokens.json, the journal gone: the file is what is imported and marked.
        try await tokensFile.compact()
        let rename = { [io] in
            try await io.run { () throws(StorageError) in
                try IdentityDisk.move(path, to: path + Self.importedSuffix)
            }
        }
        if let keys = configuration.keyStore {
            let bytes = try await io.run { () throws(StorageError) in try FileIO.readAll(path) } ?? []
            let marker = Array(try CryptoPrimitives.randomToken().utf8)
            let name = "tokens-imported:" + CryptoPrimitives.hex(try CryptoPrimitives.sha256(bytes))
            guard try await keys.keepFirst(name, candidate: marker) == marker else {
                try await rename()
                configuration.warn("this node's tokens.json was imported before; renamed, not imported again")
                return
            }
        }
        let now = now()
        var imported = 0
        var savedUsers: Set<String> = []
        for (hash, record) in ledger.refreshTokens where record.expiresAt > now {
            guard let family = ledger.families[record.family] else { continue }
            if !savedUsers.contains(record.userID), let user = users[record.userID] {
                if try await shared.user(id: user.id) == nil { try await shared.saveUser(user) }
                savedUsers.insert(user.id)
            }
            let token = SharedRefreshToken(
                hash: hash, family: record.family, userID: record.userID, expiresAt: record.expiresAt,
                idp: family.idp ?? "", groups: family.groups ?? [], spent: record.spent)
            try await shared.importRefreshToken(
                token,
                accessTokens: family.accessTokens.filter { $0.value > now }.map {
                    (jti: $0.key, expiresAt: $0.value)
                })
            imported += 1
        }
        for (jti, expiresAt) in ledger.revokedAccessTokens where expiresAt + configuration.leeway > now {
            try await shared.revokeAccessToken(jti: jti, expiresAt: expiresAt)
        }
        try await rename()
        configuration.warn(
            "imported \(imported) refresh token(s) of this node's tokens.json into the shared store "
                + "(renamed to tokens.json\(Self.importedSuffix))")
    }
}
