/// The client-writable fields of a source-code reference (the spec's Source without `id`).
public struct SourceInput: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case git, svn, mercurial, other
    }

    /// Repository-specific parameters: which ref to check out, and an optional sub-path.
    public struct Parameters: Sendable, Hashable {
        public enum RefType: String, Sendable, Hashable, CaseIterable {
            case branch, tag, commit
        }
        public var refType: RefType
        public var refValue: String
        public var subPath: String?

        public init(refType: RefType, refValue: String, subPath: String? = nil) {
            self.refType = refType
            self.refValue = refValue
            self.subPath = subPath
        }

        public var json: JSONValue {
            var o: [String: JSONValue] = [
                "refType": .string(refType.rawValue), "refValue": .string(refValue),
            ]
            if let subPath { o["subPath"] = .string(subPath) }
            return .object(o)
        }

        static func parse(_ json: JSONValue, pointer: String) throws(ValidationError) -> Parameters {
            let r = try ObjectReader(json, pointer: pointer)
            let refType = try r.enumValue("refType", RefType.self, required: true)
            let refValue = try r.string("refValue", required: true, maxLength: 256)
            let subPath = try r.string("subPath", maxLength: 256)
            return Parameters(refType: refType ?? .branch, refValue: refValue ?? "", subPath: subPath)
        }
    }

    public var name: String?
    public var description: String?
    public var type: Kind?
    public var url: String
    public var parameters: Parameters?
    public var metadata: [Metadata]?

    public init(
        name: String? = nil, description: String? = nil, type: Kind? = nil, url: String,
        parameters: Parameters? = nil, metadata: [Metadata]? = nil
    ) {
        self.name = name
        self.description = description
        self.type = type
        self.url = url
        self.parameters = parameters
        self.metadata = metadata
    }

    public static let readOnlyFields = ["id"]

    /// The spec's Source: only `url` is required; `type` one of git|svn|mercurial|other.
    public static func parse(_ json: JSONValue, mode: InputMode, pointer: String = "") throws(ValidationError)
        -> SourceInput
    {
        let r = try ObjectReader(json, pointer: pointer).checkingReadOnly(readOnlyFields, mode: mode)
        let name = try r.string("name", maxLength: 256)
        let description = try r.string("description", nullable: true, maxLength: 1024)
        let type = try r.enumValue("type", Kind.self)
        let url = try r.uri("url", required: true)
        let parameters = try r.value("parameters").map { v throws(ValidationError) in
            try Parameters.parse(v, pointer: r.path("parameters"))
        }
        let metadata = try Metadata.parseList(r.object["metadata"], pointer: r.path("metadata"))
        return SourceInput(
            name: name, description: description, type: type, url: url ?? "", parameters: parameters,
            metadata: metadata)
    }
}

/// A source-code repository attached to a threat model.
@dynamicMemberLookup
public struct Source: Sendable, Hashable, JSONRepresentable {
    public var id: EntityID
    public var input: SourceInput

    public init(id: EntityID, input: SourceInput) {
        self.id = id
        self.input = input
        self.input.metadata = input.metadata ?? []
    }

    /// The entity after a PUT: `input` replaces the writable fields, except that an absent
    /// `metadata` keeps the stored entries (they have their own endpoints).
    public func replacing(with input: SourceInput) -> Source {
        var next = self
        next.input = input
        next.input.metadata = input.metadata ?? self.input.metadata
        return next
    }

    public subscript<T>(dynamicMember keyPath: WritableKeyPath<SourceInput, T>) -> T {
        get { input[keyPath: keyPath] }
        set { input[keyPath: keyPath] = newValue }
    }

    public var json: JSONValue {
        var o: [String: JSONValue] = ["id": id.json, "url": .string(input.url)]
        if let name = input.name { o["name"] = .string(name) }
        if let description = input.description { o["description"] = .string(description) }
        if let type = input.type { o["type"] = .string(type.rawValue) }
        if let parameters = input.parameters { o["parameters"] = parameters.json }
        o["metadata"] = (input.metadata ?? []).json
        return .object(o)
    }

    public static func parse(_ json: JSONValue, pointer: String = "") throws(ValidationError) -> Source {
        let id = try ObjectReader(json, pointer: pointer).uuid("id", required: true)
        let input = try SourceInput.parse(json, mode: .replace(existing: json), pointer: pointer)
        guard let id else { throw ValidationError(pointer, .required, "lacks an id") }
        return Source(id: id, input: input)
    }
}
