extension IdentityService {
    /// `refresh` when tokens are shared between nodes: the store spends the presented token in
    /// one atomic statement, so of two nodes presented the same token at once exactly one
    /// succeeds; a token presented again anywhere revokes its family, as on a single node.
    func sharedRefresh(
        _ token: String, _ shared: any IdentitySharedStore, failure: (String) -> IdentityError
    ) async throws -> TokenResponse {
        let now = now()
        switch try await shared.spend(hash: Self.hash(token), now: now) {
        case .unknown:
            throw failure("The refresh token is not valid")
        case .expired:
            throw failure("The refresh token has expired")
        case .reused:
            // The family's access tokens are revoked in the store: apply that here at once.
            try await revocations.sync(shared, now: now, leeway: configuration.leeway)
            throw failure("The refresh token was already used; its session has been revoked")
        case .spent(let record):
            guard let user = try await resolveUser(id: record.userID) else {
                throw failure("The refresh token's user no longer exists")
            }
            let origin = LoginOrigin(idp: record.idp, groups: record.groups)
            let (response, claims, newHash) = try mint(for: user, origin: origin, now: now)
            let next = SharedRefreshToken(
                hash: newHash, family: record.family, userID: user.id,
                expiresAt: now + configuration.refreshTokenLifetime, idp: record.idp, groups: record.groups)
            // A concurrent reuse may have revoked the family while we were signing.
            guard
                try await shared.issue(
                    next, accessJTI: claims.id, accessExpiresAt: claims.expiresAt, requireLiveFamily: true)
            else { throw failure("The refresh token's session has been revoked") }
            return response
        }
    }
}
