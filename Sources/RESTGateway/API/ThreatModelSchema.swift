import CollabCore

/// Input rules of the spec's `ThreatModelInput` and the ownership rules of DESIGN §5.
public struct ThreatModelSchema: EntitySchema {
    public init() {}

    public var noun: String { "threat model" }
    public var readOnlyFields: Set<String> {
        ["id", "created_at", "modified_at", "created_by", "threats", "documents", "sourceCode", "diagrams"]
    }
    public var createForbiddenFields: Set<String> { readOnlyFields.union(["owner"]) }

    /// Fields a writer may set with PUT/PATCH (owner and authorization need the owner role).
    static let writableFields = ["name", "description", "threat_model_framework", "issue_url"]

    public func validate(_ input: [String: JSONValue]) throws(APIError) -> [String: JSONValue] {
        var v = FieldValidator(input, allowed: Set(Self.writableFields + ["owner", "authorization"]))
        try v.string("name", required: true, min: 1, max: 256, forbidden: "<>\"'&")
        try v.string("description", max: 1024, forbidden: "<>", nullable: true)
        try v.string("threat_model_framework", max: 256)
        try v.uri("issue_url", nullable: true)
        try v.string("owner", min: 1, max: 256, forbidden: "<>\"'&")
        if let auth = input["authorization"] { try Self.checkAuthorization(auth, owner: nil) }
        try v.any("authorization") { _ in nil }
        var out = try v.finish()
        if out["threat_model_framework"] == nil { out["threat_model_framework"] = "STRIDE" }
        return out
    }

    /// An `authorization` array: entries `{subject, role}` with unique subjects.
    static func checkAuthorization(_ value: JSONValue?, owner: String?) throws(APIError) {
        guard let value else { return }
        guard let entries = value.arrayValue else {
            throw MetadataRules.fieldError("/authorization", "must be an array")
        }
        guard entries.count <= 200 else {
            throw MetadataRules.fieldError("/authorization", "has more than 200 entries")
        }
        var seen = Set<String>()
        for (i, e) in entries.enumerated() {
            var v = FieldValidator(
                e.objectValue ?? [:], allowed: ["subject", "role", "subject_type"],
                pointer: "/authorization/\(i)")
            guard e.objectValue != nil else {
                throw MetadataRules.fieldError("/authorization/\(i)", "must be an object")
            }
            try v.string("subject", required: true, min: 1, max: 256, forbidden: "<>\"'&")
            try v.oneOf("role", ["reader", "writer", "owner"], required: true)
            try v.oneOf("subject_type", ["user", "group"])
            _ = try v.finish()
            let subject = e["subject"]!.stringValue!
            guard seen.insert(subject).inserted else {
                throw MetadataRules.fieldError(
                    "/authorization/\(i)/subject", "duplicates an earlier subject \(subject)")
            }
        }
    }

    /// Owner and authorization may change only by the owner; a new owner keeps the previous one
    /// as an `owner` entry in `authorization` (DESIGN §5).
    static func checkOwnershipChange(
        from old: [String: JSONValue], to new: inout [String: JSONValue], by user: AuthenticatedUser,
        record: ThreatModelRecord
    ) throws(APIError) {
        let ownerChanged = new["owner"] != old["owner"]
        let authChanged = new["authorization"] != old["authorization"]
        guard ownerChanged || authChanged else { return }
        guard record.role(of: user) == .owner else {
            throw APIError.forbidden("only an owner may change owner or authorization")
        }
        if ownerChanged, let previous = old["owner"]?.stringValue {
            var entries = new["authorization"]?.arrayValue ?? []
            entries.removeAll { $0["subject"]?.stringValue == new["owner"]?.stringValue }
            if !entries.contains(where: { $0["subject"]?.stringValue == previous }) {
                entries.append(["subject": .string(previous), "role": "owner"])
            }
            new["authorization"] = .array(entries)
        }
    }
}
