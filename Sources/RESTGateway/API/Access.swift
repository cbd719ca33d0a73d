import CollabCore

/// A caller's role on one threat model (DESIGN §5), ordered reader < writer < owner.
public enum ModelRole: Int, Sendable, Comparable {
    case reader = 1, writer, owner

    public static func < (a: ModelRole, b: ModelRole) -> Bool { a.rawValue < b.rawValue }

    init?(name: String) {
        switch name {
        case "reader": self = .reader
        case "writer": self = .writer
        case "owner": self = .owner
        default: return nil
        }
    }
}

extension ThreatModelRecord {
    /// The caller's effective role: the `owner` field always wins; otherwise the highest
    /// `authorization` entry whose subject is the caller's email or user id; nil for none.
    public func role(of user: AuthenticatedUser) -> ModelRole? {
        if let owner = fields["owner"]?.stringValue, owner == user.email || owner == user.id {
            return .owner
        }
        var best: ModelRole?
        for entry in fields["authorization"]?.arrayValue ?? [] {
            guard let subject = entry["subject"]?.stringValue, subject == user.email || subject == user.id,
                let role = entry["role"]?.stringValue.flatMap(ModelRole.init(name:))
            else { continue }
            best = max(best ?? role, role)
        }
        return best
    }
}

extension StoreState {
    /// The model at `id` if the caller holds at least `needed` on it: 404 when it does not exist,
    /// 403 when the caller's role is missing or too low.
    public func model(_ id: String, for user: AuthenticatedUser, needs needed: ModelRole) throws(APIError)
        -> ThreatModelRecord
    {
        guard let record = models[id] else { throw APIError.notFound("threat model \(id) not found") }
        guard let role = record.role(of: user) else {
            throw APIError.forbidden("you have no access to threat model \(id)")
        }
        guard role >= needed else {
            throw APIError.forbidden("this needs the \(needed) role on threat model \(id); you are \(role)")
        }
        return record
    }
}
