/// Who is asking: the internal user id and the email that ACL subjects usually name. One
/// identity key is used for owner checks, ACLs, hosts and participants alike (DESIGN §5).
public struct UserIdentity: Sendable, Hashable {
    public var id: String
    public var email: String
    /// The login provider that vouched for the user (empty when unknown): user and group
    /// principals name a provider.
    public var idp: String
    /// The user's IdP groups at login, for group principals.
    public var groups: [String]

    public init(id: String, email: String, idp: String = "", groups: [String] = []) {
        self.id = id
        self.email = email
        self.idp = idp
        self.groups = groups
    }

    /// True when `subject` names this user: its id exactly, or its email ignoring case.
    public func matches(_ subject: String) -> Bool {
        if subject == id { return true }
        return !email.isEmpty && Self.equalIgnoringCase(subject, email)
    }

    /// `a.lowercased() == b.lowercased()`, without building either string when both are ASCII
    /// (every access check of a model compares its owner with the caller's email).
    static func equalIgnoringCase(_ a: String, _ b: String) -> Bool {
        var a = a
        var b = b
        let ascii: Bool? = a.withUTF8 { x in
            b.withUTF8 { y in
                guard x.count == y.count else {
                    return x.allSatisfy { $0 < 0x80 } && y.allSatisfy { $0 < 0x80 } ? false : nil
                }
                var equal = true
                for i in 0..<x.count {
                    let (p, q) = (x[i], y[i])
                    if p >= 0x80 || q >= 0x80 { return nil }
                    if p != q && lowerASCII(p) != lowerASCII(q) { equal = false }
                }
                return equal
            }
        }
        return ascii ?? (a.lowercased() == b.lowercased())
    }

    @inline(__always)
    private static func lowerASCII(_ byte: UInt8) -> UInt8 {
        byte &- 0x41 < 26 ? byte | 0x20 : byte
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
    /// the owner lower, DESIGN §10); otherwise the highest entry that names the caller (a subject,
    /// a user principal, or a group the caller is in; see `AccessIndex`); nil when nothing does.
    /// Builds the index each call: callers checking often keep an `AccessIndex` instead.
    public static func effectiveRole(of user: UserIdentity, owner: String, authorization: [Authorization])
        -> Role?
    {
        AccessIndex(owner: owner, authorization: authorization).role(of: user)
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
