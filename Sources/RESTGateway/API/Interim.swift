import CollabCore

// INTERIM: replaced by CollabCore's JSON Patch when the models branch lands.
enum PatchRequest {
    struct Ops: Sendable {}
    static func parse(_ v: JSONValue) throws(APIError) -> Ops {
        throw APIError(status: 501, code: "x", description: "x")
    }
    static func apply(_ ops: Ops, to: [String: JSONValue]) throws(APIError) -> [String: JSONValue] { to }
}
