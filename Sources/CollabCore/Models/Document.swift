/// The client-writable fields of a document reference (the spec's Document without `id`).
public struct DocumentInput: Sendable, Hashable {
    public var name: String
    public var url: String
    public var description: String?
    public var metadata: [Metadata]?

    public init(name: String, url: String, description: String? = nil, metadata: [Metadata]? = nil) {
        self.name = name
        self.url = url
        self.description = description
        self.metadata = metadata
    }

    public static let readOnlyFields = ["id"]

    /// The spec's Document: `name` 1-256 without `<>"'&`, `url` a URI of at most 1024,
    /// `description` at most 1024 (nullable).
    public static func parse(_ json: JSONValue, mode: InputMode, pointer: String = "") throws(ValidationError)
        -> DocumentInput
    {
        let r = try ObjectReader(json, pointer: pointer).checkingReadOnly(readOnlyFields, mode: mode)
        let name = try r.string(
            "name", required: true, minLength: 1, maxLength: 256, pattern: .noMarkupOrQuotes)
        let url = try r.uri("url", required: true)
        let description = try r.string("description", nullable: true, maxLength: 1024)
        let metadata = try Metadata.parseList(r.object["metadata"], pointer: r.path("metadata"))
        return DocumentInput(name: name ?? "", url: url ?? "", description: description, metadata: metadata)
    }
}

/// A document attached to a threat model.
@dynamicMemberLookup
public struct Document: Sendable, Hashable, JSONRepresentable {
    public var id: EntityID
    public var input: DocumentInput

    public init(id: EntityID, input: DocumentInput) {
        self.id = id
        self.input = input
        self.input.metadata = input.metadata ?? []
    }

    /// The entity after a PUT: `input` replaces the writable fields, except that an absent
    /// `metadata` keeps the stored entries (they have their own endpoints).
    public func replacing(with input: DocumentInput) -> Document {
        var next = self
        next.input = input
        next.input.metadata = input.metadata ?? self.input.metadata
        return next
    }

    public subscript<T>(dynamicMember keyPath: WritableKeyPath<DocumentInput, T>) -> T {
        get { input[keyPath: keyPath] }
        set { input[keyPath: keyPath] = newValue }
    }

    public var json: JSONValue {
        var o: [String: JSONValue] = ["id": id.json, "name": .string(input.name), "url": .string(input.url)]
        if let description = input.description { o["description"] = .string(description) }
        o["metadata"] = (input.metadata ?? []).json
        return .object(o)
    }

    public static func parse(_ json: JSONValue, pointer: String = "") throws(ValidationError) -> Document {
        let id = try ObjectReader(json, pointer: pointer).uuid("id", required: true)
        let input = try DocumentInput.parse(json, mode: .replace(existing: json), pointer: pointer)
        guard let id else { throw ValidationError(pointer, .required, "lacks an id") }
        return Document(id: id, input: input)
    }
}
