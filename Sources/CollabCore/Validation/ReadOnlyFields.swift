/// Whether an input body creates an entity or replaces a stored one. It decides what a
/// read-only field in the body means (DESIGN §1, §10):
/// - create (POST): any read-only field present is a 400;
/// - replace (PUT, and PATCH after the patch is applied): a read-only field equal to the stored
///   value is ignored (clients echo entities back), a different value is a 400.
public enum InputMode: Sendable, Equatable {
    case create
    /// `existing` is the stored entity as the API renders it (its `json`).
    case replace(existing: JSONValue)

    /// Replacing a model, compared through its rendered form.
    public static func replace(_ model: some JSONRepresentable) -> InputMode {
        .replace(existing: model.json)
    }
}

/// A model that renders itself as the API's JSON.
public protocol JSONRepresentable {
    var json: JSONValue { get }
}

extension ObjectReader {
    /// Applies the read-only rules of `mode` to `fields` and returns a reader over the body
    /// without them, so the writable fields can be read as usual.
    public func checkingReadOnly(_ fields: [String], mode: InputMode) throws(ValidationError) -> ObjectReader
    {
        var rest = object
        for key in fields {
            guard let given = object[key] else { continue }
            switch mode {
            case .create:
                throw ValidationError(
                    path(key), .readOnly, "is read-only and cannot be set on create",
                    suggestion: "remove \(key) from the request body")
            case .replace(let existing):
                guard let stored = existing[key], given.sameEntityValue(as: stored) else {
                    throw ValidationError(
                        path(key), .readOnly, "is read-only and cannot be changed",
                        suggestion: "omit \(key) or send the stored value")
                }
            }
            rest[key] = nil
        }
        return ObjectReader(object: rest, pointer: pointer)
    }
}

extension JSONValue {
    /// Equality for echoed read-only values: like `==`, except that two strings that are the same
    /// UUID in a different case, or the same instant in a different RFC 3339 form, are equal.
    /// A client that re-sends `created_at` as `...T12:00:00Z` has not changed `...T12:00:00.000Z`.
    public func sameEntityValue(as other: JSONValue) -> Bool {
        switch (self, other) {
        case (.string(let a), .string(let b)):
            if a == b { return true }
            if let x = EntityID(a), let y = EntityID(b) { return x == y }
            if let x = Timestamp(rfc3339: a), let y = Timestamp(rfc3339: b) { return x == y }
            return false
        case (.array(let a), .array(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.sameEntityValue(as: $1) }
        case (.object(let a), .object(let b)):
            return a.count == b.count
                && a.allSatisfy { key, value in b[key].map { value.sameEntityValue(as: $0) } ?? false }
        default:
            return self == other
        }
    }
}
