/// One entry of a threat model's access list, in either of the two forms clients send:
/// - the endpoint list's `{subject, role}` (subject: an email or a user id), and
/// - upstream TMI's newer principal form `{principal_type: "user"|"group", provider, provider_id,
///   role, display_name?, email?}`, where a group grants its role to every member of that IdP
///   group and the built-in group `everyone` with provider `*` to every authenticated user.
///
/// The form given is kept (`principal` nil for the first), so a response echoes what was sent.
public struct Authorization: Sendable, Hashable, JSONRepresentable {
    /// The legacy subject; for a principal entry, its `provider_id` (so owner entries and
    /// messages can still name it).
    public var subject: String
    public var role: Role
    /// Set for an entry given in the principal form.
    public var principal: Principal?

    public init(subject: String, role: Role) {
        self.subject = subject
        self.role = role
        self.principal = nil
    }

    public init(principal: Principal, role: Role) {
        self.subject = principal.providerID
        self.role = role
        self.principal = principal
    }

    public var json: JSONValue {
        guard let p = principal else { return ["subject": .string(subject), "role": .string(role.rawValue)] }
        var o: [String: JSONValue] = [
            "principal_type": .string(p.kind.rawValue), "provider": .string(p.provider),
            "provider_id": .string(p.providerID), "role": .string(role.rawValue),
        ]
        if let v = p.displayName { o["display_name"] = .string(v) }
        if let v = p.email { o["email"] = .string(v) }
        return .object(o)
    }

    /// The spec's Authorization: `subject` 1-256 without `<>"'&`, `role` reader|writer|owner; or
    /// the principal form (an object with `principal_type`). Mixing the two is refused, so an
    /// entry cannot mean two things.
    public static func parse(_ json: JSONValue, pointer: String = "") throws(ValidationError) -> Authorization
    {
        let r = try ObjectReader(json, pointer: pointer)
        if r.object["principal_type"] != nil {
            if r.object["subject"] != nil {
                throw ValidationError(
                    r.path("subject"), .unknownField,
                    "give either subject or principal_type/provider/provider_id, not both")
            }
            let principal = try Principal.parse(r)
            let role = try r.enumValue("role", Role.self, required: true)
            return Authorization(principal: principal, role: role ?? .reader)
        }
        let subject = try r.string(
            "subject", required: true, minLength: 1, maxLength: 256, pattern: .noMarkupOrQuotes)
        let role = try r.enumValue("role", Role.self, required: true)
        return Authorization(subject: subject ?? "", role: role ?? .reader)
    }

    /// Two entries with the same key name the same principal (a duplicate in one list).
    public var uniquenessKey: String {
        guard let p = principal else { return "subject:" + subject.lowercased() }
        return "\(p.kind.rawValue):\(p.provider.lowercased()):\(p.providerID.lowercased())"
    }
}

/// Upstream TMI's principal: who an authorization entry names.
public struct Principal: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case user
        case group
    }

    /// The provider-independent provider name, and the built-in group of every authenticated user.
    public static let anyProvider = "*"
    public static let everyoneGroup = "everyone"

    public var kind: Kind
    /// The identity provider (`google`, `github`, `test`...), or `*` for any.
    public var provider: String
    /// For a user: the provider's user id or the email; for a group: the group's name.
    public var providerID: String
    public var displayName: String?
    public var email: String?

    public init(
        kind: Kind, provider: String, providerID: String, displayName: String? = nil, email: String? = nil
    ) {
        self.kind = kind
        self.provider = provider
        self.providerID = providerID
        self.displayName = displayName
        self.email = email
    }

    /// The built-in group of every authenticated user.
    public var isEveryone: Bool {
        kind == .group && provider == Self.anyProvider && providerID.lowercased() == Self.everyoneGroup
    }

    static func parse(_ r: ObjectReader) throws(ValidationError) -> Principal {
        let kind = try r.enumValue("principal_type", Kind.self, required: true)
        let provider = try r.string(
            "provider", required: true, minLength: 1, maxLength: 256, pattern: .noMarkupOrQuotes)
        let id = try r.string(
            "provider_id", required: true, minLength: 1, maxLength: 500, pattern: .noMarkupOrQuotes)
        let name = try r.string("display_name", nullable: true, maxLength: 256, pattern: .noMarkupOrQuotes)
        let email = try r.string("email", nullable: true, maxLength: 320, pattern: .noMarkupOrQuotes)
        return Principal(
            kind: kind ?? .user, provider: provider ?? "", providerID: id ?? "", displayName: name,
            email: email)
    }
}

extension [Authorization] {
    public var json: JSONValue { .array(map(\.json)) }
}
