import CollabCore
import Storage

extension AuthenticatedUser {
    /// The identity the access rules compare subjects with.
    public var identity: UserIdentity { UserIdentity(id: id, email: email, idp: idp, groups: groups) }
}

extension ThreatModelRecord {
    /// The caller's effective role on this model (DESIGN §5, `AccessRules.effectiveRole`).
    public func role(of user: AuthenticatedUser) -> Role? { access.role(of: user.identity) }
}

extension StoreState {
    /// The model at `id` if the caller holds at least `needed` on it: 404 when it does not exist,
    /// 403 when the caller's role is missing or too low.
    public func model(_ id: String, for user: AuthenticatedUser, needs needed: Role) throws(APIError)
        -> ThreatModelRecord
    {
        guard let record = models[id] else { throw APIError.notFound("threat model \(id) not found") }
        try Self.require(record.role(of: user), needed, on: id)
        return record
    }

    /// The checks of `model(_:for:needs:)` without taking the record out: for a read answered
    /// from cached bytes, where a copy of the record would retain and release each of its fields
    /// only to be dropped.
    public func requireAccess(to id: String, for user: AuthenticatedUser, needs needed: Role)
        throws(APIError)
    {
        // Only the access index is taken out, not the whole record.
        guard let access = models[id]?.access else {
            throw APIError.notFound("threat model \(id) not found")
        }
        try Self.require(access.role(of: user.identity), needed, on: id)
    }

    private static func require(_ role: Role?, _ needed: Role, on id: String) throws(APIError) {
        guard let role else { throw APIError.forbidden("you have no access to threat model \(id)") }
        guard role >= needed else {
            throw APIError.forbidden("this needs the \(needed) role on threat model \(id); you are \(role)")
        }
    }
}
