import CollabCore
import Storage

/// The ownership rules of DESIGN §5 applied to a replace.
enum Ownership {
    /// Fields a writer may set with PUT/PATCH (owner and authorization need the owner role).
    static let writableFields = ["name", "description", "threat_model_framework", "issue_url"]

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
