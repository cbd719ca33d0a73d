import CollabCore

/// RFC 6902 JSON Patch bodies for PATCH and batch patch: every parse or apply failure is a 400
/// whose `details.context.field` points into the patch document.
enum PatchRequest {
    static func parse(_ json: JSONValue) throws(APIError) -> JSONPatch {
        do {
            return try JSONPatch.parse(json)
        } catch {
            throw failure(error)
        }
    }

    /// Applies `patch` to the rendered entity; a patch that touches a read-only member (or the
    /// whole document) is refused before anything is applied.
    static func apply(_ patch: JSONPatch, to current: [String: JSONValue], readOnly: Set<String>)
        throws(APIError)
        -> [String: JSONValue]
    {
        if let field = patch.firstModification(ofAnyOf: readOnly) {
            throw APIError.badRequest(
                field.isEmpty ? "a patch may not replace the whole document" : "\(field) is read-only",
                details: ["code": "read_only_field", "context": ["field": .string(field)]])
        }
        do {
            return try patch.apply(to: current)
        } catch {
            throw failure(error)
        }
    }

    static func failure(_ error: JSONPatchError) -> APIError {
        APIError.badRequest(
            "invalid JSON Patch: \(error.description)",
            details: [
                "code": .string("patch_\(error.kind.rawValue)"),
                "context": ["field": .string(error.patchPointer)],
            ])
    }
}
