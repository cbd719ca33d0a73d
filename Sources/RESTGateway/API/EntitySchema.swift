import CollabCore

/// How one kind of entity is validated, as a thin adapter over CollabCore's input parsers (which
/// hold every rule of the spec). One mechanism serves create, replace and patch for every kind
/// (DESIGN §1, §10):
/// - create: a read-only field in the body is 400;
/// - replace: a read-only field equal to the stored (rendered) value is ignored, a different one 400;
/// - patch: the JSON Patch is applied to the rendered entity, then handled as a replace.
/// What is stored is the body itself minus read-only fields and `metadata`, so unknown-but-valid
/// content (X6 cell properties) survives losslessly.
public protocol EntitySchema: Sendable {
    /// Top-level fields that clients may not set.
    var readOnlyFields: Set<String> { get }
    /// Validates `body` for `mode`; returns the body's metadata list when it has one.
    func check(_ body: JSONValue, mode: InputMode) throws(ValidationError) -> [Metadata]?
}

extension EntitySchema {
    /// The stored fields and metadata of a create body.
    public func parseCreate(_ body: [String: JSONValue]) throws(ValidationError) -> (
        fields: [String: JSONValue], metadata: [(String, String)]?
    ) {
        let metadata = try check(.object(body), mode: .create)
        return (writable(body), metadata.map(Self.pairs))
    }

    /// The stored fields and metadata of a replace body, `current` being the rendered entity.
    public func parseReplace(_ body: [String: JSONValue], current: [String: JSONValue])
        throws(ValidationError)
        -> (fields: [String: JSONValue], metadata: [(String, String)]?)
    {
        let metadata = try check(.object(body), mode: .replace(existing: .object(current)))
        return (writable(body), metadata.map(Self.pairs))
    }

    /// What is stored of a valid body. A top-level null the parser accepted (a `nullable` input
    /// field such as `description` or `issue_url`) means "no value": it is dropped, because the
    /// response schemas (ThreatModelBase, ThreatBase...) declare those fields as plain strings,
    /// so echoing the null back would render an invalid entity.
    func writable(_ body: [String: JSONValue]) -> [String: JSONValue] {
        var out = body.filter { $0.value != .null }
        for k in readOnlyFields { out[k] = nil }
        out["metadata"] = nil
        return out
    }

    static func pairs(_ list: [Metadata]) -> [(String, String)] { list.map { ($0.key, $0.value) } }
}

extension APIError {
    /// A rule of the spec broken by the body: 400 `invalid_input` (or `status`, e.g. 422 for a
    /// patched diagram) with the spec's `details` pointing at the field.
    public init(_ error: ValidationError, status: Int = 400) {
        self.init(
            status: status, code: "invalid_input", description: error.description, details: error.details)
    }

    /// A body field with a problem found outside the model parsers.
    public static func invalidField(_ pointer: String, _ reason: String) -> APIError {
        APIError(ValidationError(pointer, .wrongType, reason))
    }
}

/// Runs `body`, turning a `ValidationError` into a 400 (or `status`).
func validated<T>(status: Int = 400, _ body: () throws(ValidationError) -> T) throws(APIError) -> T {
    do {
        return try body()
    } catch {
        throw APIError(error, status: status)
    }
}
