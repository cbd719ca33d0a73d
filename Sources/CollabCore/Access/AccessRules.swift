/// Who is asking: the internal user id and the email that ACL subjects usually name. One
/// identity key is used for owner checks, ACLs, hosts and participants alike (DESIGN §5).
public struct UserIdentity: Sendable, Hashable {
    public var id: String
    public var email: String

    public init(id: String, email: String) {
        self.id = id
        self.email = email
    }

    /// True when `subject` names this user: its id exactly, or its email ignoring case.
    public func matches(_ subject: String) -> Bool {
        if subject == id { return true }
        return !email.isEmpty && subject.lowercased() == email.lowercased()
    }
}

/// Something a caller may want to do on a threat model or anything under it.
public enum Capability: Sendable, Hashable, CaseIterable {
    /// Read the model and everything under it; open, join and present in collaboration sessions.
    case read
    /// Change the model's fields (not owner/authorization) and create, change or delete threats,
    /// documents, sources, metadata, diagram contents.
    case write
    /// Delete the threat model itself.
    case deleteModel
    /// Delete a diagram.
    case deleteDiagram
    /// Change `owner` or `authorization`.
    case manageAccess

    /// The least role that grants the capability (DESIGN §5).
    public var minimumRole: Role {
        switch self {
        case .read: .reader
        case .write: .writer
        case .deleteModel, .deleteDiagram, .manageAccess: .owner
        }
    }
}

/// The authorization rules of DESIGN §5 as pure functions.
public enum AccessRules {
    /// The caller's role on a model: the `owner` field always wins (even if `authorization` lists
    /// the owner lower, DESIGN §10); otherwise the highest entry whose subject names the caller;
    /// nil when nothing names the caller.
    public static func effectiveRole(of user: UserIdentity, owner: String, authorization: [Authorization])
        -> Role?
    {
        if user.matches(owner) { return .owner }
        var best: Role?
        for entry in authorization where user.matches(entry.subject) {
            best = max(best ?? entry.role, entry.role)
        }
        return best
    }

    public static func effectiveRole(of user: UserIdentity, in model: ThreatModel) -> Role? {
        effectiveRole(of: user, owner: model.owner, authorization: model.authorization)
    }

    /// Whether `role` (nil: no access) grants `capability`.
    public static func allows(_ role: Role?, _ capability: Capability) -> Bool {
        guard let role else { return false }
        return role >= capability.minimumRole
    }

    public static func can(_ user: UserIdentity, _ capability: Capability, on model: ThreatModel) -> Bool {
        allows(effectiveRole(of: user, in: model), capability)
    }

    /// The capability a replacement of `model` by `input` needs: `manageAccess` when it changes
    /// the owner or the authorization list (compared as sets, so reordering is no change),
    /// `write` otherwise (DESIGN §10: a writer may PUT with both unchanged).
    public static func capabilityNeeded(toApply input: ThreatModelInput, to model: ThreatModel) -> Capability
    {
        if let owner = input.owner, owner != model.owner { return .manageAccess }
        if let list = input.authorization, Set(list) != Set(model.authorization) { return .manageAccess }
        return .write
    }
}
