/// One entry of a threat model's access list: a subject (email or user id) and its role.
public struct Authorization: Sendable, Hashable, JSONRepresentable {
    public var subject: String
    public var role: Role

    public init(subject: String, role: Role) {
        self.subject = subject
        self.role = role
    }

    public var json: JSONValue { ["subject": .string(subject), "role": .string(role.rawValue)] }

    /// The spec's Authorization: `subject` 1-256 without `<>"'&`, `role` reader|writer|owner.
    public static func parse(_ json: JSONValue, pointer: String = "") throws(ValidationError) -> Authorization
    {
        let r = try ObjectReader(json, pointer: pointer)
        let subject = try r.string(
            "subject", required: true, minLength: 1, maxLength: 256, pattern: .noMarkupOrQuotes)
        let role = try r.enumValue("role", Role.self, required: true)
        return Authorization(subject: subject ?? "", role: role ?? .reader)
    }
}

extension [Authorization] {
    public var json: JSONValue { .array(map(\.json)) }
}
